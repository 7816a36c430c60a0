// Bar charts as SVG built in the page (no library): one or two series over labelled slots, with the values in a
// caption for screen readers.
import {h} from './app.js';

const ns = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, text) => {
  const el = document.createElementNS(ns, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
};

// series: [{name, values, alt}] over labels; format(value) for the axis and the caption.
export function barChart({labels, series, format = String, title}) {
  const width = 640;
  const height = 220;
  const left = 60; // room for the longest axis label, "110 min"
  const bottom = 28;
  const top = 10;
  const max = Math.max(1, ...series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined)));
  const slot = (width - left) / Math.max(1, labels.length);
  const barWidth = Math.max(2, (slot * 0.8) / series.length);
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const chart = svg('svg', {viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title});
  for (const tick of [0, max / 2, max]) {
    chart.append(svg('line', {x1: left, x2: width, y1: y(tick), y2: y(tick), stroke: '#d5d9df'}));
    chart.append(svg('text', {x: left - 6, y: y(tick) + 4, 'text-anchor': 'end'}, format(tick)));
  }
  const every = Math.ceil(labels.length / 16); // at most 16 labels under the axis
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const v = s.values[i];
      if (v === null || v === undefined) return;
      const x = left + i * slot + slot * 0.1 + j * barWidth;
      const bar = svg('rect', {class: s.alt ? 'bar alt' : 'bar', x, y: y(v), width: barWidth, height: Math.max(0, y(0) - y(v))});
      bar.append(svg('title', {}, `${label}: ${s.name} ${format(v)}`));
      chart.append(bar);
    });
    if (i % every === 0) chart.append(svg('text', {x: left + i * slot + slot / 2, y: height - 8, 'text-anchor': 'middle'}, label));
  });
  const legend = series.length > 1
    ? h('p', {class: 'legend'}, series.map((s) => h('span', {}, h('i', {class: s.alt ? 'alt' : ''}), s.name)))
    : null;
  const caption = h('figcaption', {class: 'sr-only'}, labels.map((l, i) =>
    `${l}: ${series.map((s) => `${s.name} ${s.values[i] === null || s.values[i] === undefined ? '—' : format(s.values[i])}`).join(', ')}`).join('; '));
  return h('figure', {}, chart, legend, caption);
}
