#!/usr/bin/python3
"""`salonq replay` as an analyst runs it, checked with Python's own csv and json modules.

A data directory gets `salonq demo` (three salons, a simulated day) plus one salon whose customer's name holds a
comma and double quotes (the codec refuses control characters), and a refused command. Then:
- the CSV parses with the csv module; its header is the column table of docs/replay.md, in order; it has one row
  per JSON line of the same selection, and each row's type, salonId, seq/atSeq, commandId and at match that line;
- ticket_issued rows carry a token and numbers where numbers belong; the awkward name survives the round trip;
- --salon, --type and --from/--to select what they say; a wrong option exits non-zero and names itself on stderr;
- stdout holds only data (progress goes to stderr);
- the reports add up: the daily walk-ins, served and revenue equal the entries', the waits report has a row per
  ticket, the priority audit one per priority start; --format jsonl gives typed JSON objects; the staffing advice
  keeps its target and a stricter target asks for more staff.

Run by ctest (test replay_cli, label embedded) with Debian's /usr/bin/python3.
"""

import argparse
import csv
import io
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

AWKWARD = 'Ana "The Blade", Jr.'


def salonq(binary, data, *args, stdin=None, check=True):
    run = subprocess.run([binary, "--data", str(data), *args], input=stdin, capture_output=True, text=True,
                         timeout=120)
    if check and run.returncode != 0:
        sys.exit(f"salonq {' '.join(args)} exited {run.returncode}: {run.stderr}")
    return run


def documented_columns(doc):
    text = Path(doc).read_text()
    section = text.split("## CSV", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", section, flags=re.M)


def fill(binary, data):
    salonq(binary, data, "demo")
    commands = [
        {"type": "register_salon", "commandId": "x1", "salonId": "odd", "payload": {"name": "Odd, \"Cuts\"",
                                                                                     "timezone": "UTC"}},
        {"type": "configure_salon", "commandId": "x2", "salonId": "odd",
         "payload": {"services": [{"code": "HC", "name": "Haircut", "priceCents": 2500, "durationMin": 30}]}},
        {"type": "walk_in", "commandId": "x3", "salonId": "odd",
         "payload": {"customer": {"name": AWKWARD}, "services": ["HC"]}},
        {"type": "walk_in", "commandId": "x4", "salonId": "odd",
         "payload": {"customer": {"name": "Bo"}, "services": ["NOPE"]}},
    ]
    salonq(binary, data, "submit", "-", stdin="".join(json.dumps(c) + "\n" for c in commands))


def check_csv_matches_jsonl(binary, data, columns):
    lines = salonq(binary, data, "replay", "--include-rejections").stdout.splitlines()
    text = salonq(binary, data, "replay", "--include-rejections", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == columns, f"header {rows[0]} is not the documented columns {columns}"
    records = [dict(zip(columns, row)) for row in rows[1:]]
    assert all(len(row) == len(columns) for row in rows), "a row with another number of fields"
    # The demo's day is seeded by the clock: 480-610 entries were seen; what matters is "a full day", not a count.
    assert len(records) == len(lines) > 300, (len(records), len(lines))
    for line, row in zip(lines, records):
        entry = json.loads(line)
        assert row["type"] == entry["type"] and row["salonId"] == entry["salonId"], (row, entry)
        assert row["commandId"] == entry["commandId"] and row["at"] == entry["at"], (row, entry)
        seq_column = "atSeq" if entry["type"] == "command_rejected" else "seq"
        assert int(row[seq_column]) == entry.get("seq", entry.get("atSeq")), (row, entry)
        if entry["type"] == "ticket_issued":
            assert row["token"] == entry["payload"]["token"] and int(row["priceCents"]) >= 0, row
            assert row["customerName"] == entry["payload"]["customer"]["name"], row
    names = [r["customerName"] for r in records if r["salonId"] == "odd" and r["type"] == "ticket_issued"]
    assert names == [AWKWARD], names
    rejected = [r for r in records if r["type"] == "command_rejected"]
    assert any(r["commandId"] == "x4" and r["detail"].startswith("unknown_service") for r in rejected), rejected
    return records


def check_selections(binary, data, records):
    odd = [json.loads(l) for l in salonq(binary, data, "replay", "--salon", "odd", "-q").stdout.splitlines()]
    assert [e["seq"] for e in odd] == [1, 2, 3], odd  # events only by default: the rejection is left out
    # A salon with no events (a misspelt id): an empty output, exit 0, and a note on stderr even with -q.
    nosuch = salonq(binary, data, "replay", "--salon", "nosuch", "-q")
    assert nosuch.stdout == "" and "no event of salon nosuch in the log" in nosuch.stderr, nosuch.stderr
    # A report whose window holds none of the salons' days: its header only, and a note.
    empty = salonq(binary, data, "replay", "--report", "daily", "--from", "2090-01-01", "-q")
    assert len(empty.stdout.splitlines()) == 1 and "the report has no rows" in empty.stderr, (empty.stdout, empty.stderr)
    issued = salonq(binary, data, "replay", "--type", "ticket_issued", "-q").stdout.splitlines()
    assert len(issued) == sum(1 for r in records if r["type"] == "ticket_issued")
    times = sorted(r["at"] for r in records)
    middle = times[len(times) // 2]
    window = salonq(binary, data, "replay", "--include-rejections", "--from", middle, "-q").stdout.splitlines()
    assert len(window) == sum(1 for t in times if t >= middle), (len(window), middle)
    for args, option in ((["--type", "walk_in"], "--type"), (["--from", "noon"], "--from"),
                         (["--to-offset", "99:1"], "--to-offset"), (["--format", "xml"], "--format")):
        run = salonq(binary, data, "replay", *args, check=False)
        # 2 from replay's own checks and from CLI11's (--format) alike.
        assert run.returncode == 2 and option in run.stderr and run.stdout == "", (args, run.returncode, run.stderr)


def check_reports(binary, data, records):
    def report(name, *extra):
        text = salonq(binary, data, "replay", "--report", name, "-q", *extra).stdout
        return list(csv.DictReader(io.StringIO(text, newline="")))

    daily = report("daily")
    issued = [r for r in records if r["type"] == "ticket_issued"]
    completed = [r for r in records if r["type"] == "service_completed"]
    assert sum(int(r["walkIns"]) for r in daily) == len(issued), (daily, len(issued))
    assert sum(int(r["served"]) for r in daily) == len(completed)
    assert sum(int(r["revenueCents"]) for r in daily) == sum(int(r["amountCents"]) for r in completed)
    for row in daily:
        assert float(row["waitP50Min"] or 0) <= float(row["waitP90Min"] or 0), row
        assert 0 <= float(row["utilisation"] or 0), row  # above 1 when a service outlasts the shift
    waits = report("waits")
    assert len(waits) == len(issued) and {w["token"] for w in waits} == {r["token"] for r in issued}
    audit = report("priority-audit")
    assert len(audit) == sum(1 for r in records if r["type"] == "priority_started")
    rows = [json.loads(l) for l in salonq(binary, data, "replay", "--report", "staff", "--format", "jsonl",
                                           "-q").stdout.splitlines()]
    assert rows and all(isinstance(r["served"], int) for r in rows), rows[:2]
    assert sum(r["served"] for r in rows) == len(completed)
    for name in ("hourly", "services"):
        assert report(name), name
    # A window of days cuts the rows, not the history: a salon's zone and shifts come from before it.
    hourly = report("hourly")
    day = min(r["day"] for r in hourly)
    assert report("hourly", "--from", day, "--to", day + "T23:59:59Z") == [r for r in hourly if r["day"] == day]
    next_day = salonq(binary, data, "replay", "--report", "daily", "--from", day + "T00:00:00Z", "-q").stdout
    assert len(next_day.splitlines()) == 1 + len([r for r in daily if r["day"] >= day]), next_day
    run = salonq(binary, data, "replay", "--report", "daily", "--type", "ticket_issued", check=False)
    assert run.returncode == 2 and "--type" in run.stderr, run.stderr
    # From an offset a report would miss each salon's registration (its zone) and who was on duty: refused.
    run = salonq(binary, data, "replay", "--report", "daily", "--from-offset", "5", check=False)
    assert run.returncode == 2 and "--from-offset" in run.stderr and run.stdout == "", run.stderr
    run = salonq(binary, data, "replay", "--report", "weekly", check=False)
    assert run.returncode != 0 and "--report" in run.stderr
    run = salonq(binary, data, "replay", "--report", "daily", "--target-wait", "10", check=False)
    assert run.returncode == 2 and "--target-wait" in run.stderr, run.stderr
    check_staffing(report)


def check_staffing(report):
    """Every hour anyone came has someone, within the target where it says so; a stricter target costs staff."""
    rows = report("staffing")
    assert rows and set(rows[0]) >= {"salonId", "weekday", "hour", "staff", "waitP90Min", "meetsTarget",
                                      "observedStaff"}, rows[:1]
    for row in rows:
        assert float(row["arrivalsPerHour"]) > 0 and int(row["staff"]) >= 1, row
        assert row["meetsTarget"] == "no" or float(row["waitP90Min"]) <= 15.0, row
    strict = report("staffing", "--target-wait", "3")
    assert sum(int(r["staff"]) for r in strict) > sum(int(r["staff"]) for r in rows)
    assert all(r["meetsTarget"] == "no" or float(r["waitP90Min"]) <= 3.0 for r in strict), strict


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--salonq", required=True)
    parser.add_argument("--doc", required=True)
    a = parser.parse_args()
    columns = documented_columns(a.doc)
    assert len(columns) > 30, columns
    with tempfile.TemporaryDirectory(prefix="salonq-replay-") as tmp:
        data = Path(tmp) / "data"
        fill(a.salonq, data)
        records = check_csv_matches_jsonl(a.salonq, data, columns)
        check_selections(a.salonq, data, records)
        check_reports(a.salonq, data, records)
        # Progress and the summary go to stderr, never into the data.
        run = salonq(a.salonq, data, "replay")
        assert "entries read" in run.stderr and "entries read" not in run.stdout
    print(f"replay: CSV and JSON lines agree on {len(records)} entries; selections and refusals as documented")


if __name__ == "__main__":
    main()
