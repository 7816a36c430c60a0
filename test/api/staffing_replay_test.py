#!/usr/bin/python3
"""GET /v1/salons/{salonId}/staffing gives the advice `salonq replay --report staffing` gives, on the same log.

A data directory gets `salonq simulate --weekly` (one salon over fourteen days: two of each weekday, busy Saturdays,
quiet Mondays, closed Sundays, stylists' days off, shifts, day closes) and
`salonq demo` (three salons, one day). A real `salonq serve` on a loopback port then answers each salon's advice
for the simulated fortnight (`from`/`to`, the demo salons with one busy day and quiet ones) at two target waits,
for the demo salons' own day (too little history: `not_enough_history`, no hours), and for the last weeks before
today (`weeks`) where those reach the data; every row must be the report's row for the same days and target, in
the report's units (minutes to 0.1). The
server is stopped and started again (the stats come back from their store, the cache is gone): the same answers.
The simulated week's rhythm is in the advice: more staff-hours on Saturdays than on Mondays, no hours on Sundays.

Run by ctest (test staffing_replay, labels embedded and http) with Debian's /usr/bin/python3.
"""

import argparse
import datetime
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path


from serve_harness import Server, get, minutes, salonq


def next_day(day):
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()


def staffing_report(binary, data, first, last, target):
    """The report's rows by salon for the days [first, last] (--to is the day after: before its midnight)."""
    rows = defaultdict(list)
    out = salonq(binary, data, "replay", "--report", "staffing", "--format", "jsonl", "--from", first,
                 "--to", next_day(last), "--target-wait", str(target))
    for line in out.splitlines():
        row = json.loads(line)
        rows[row.pop("salonId")].append(row)
    return rows


def answer_rows(answer):
    return [{"weekday": h["weekday"], "hour": h["hour"], "arrivalsPerHour": h["arrivalsPerHour"], "staff": h["staff"],
             "waitP50Min": minutes(h["waitP50Ms"]), "waitP90Min": minutes(h["waitP90Ms"]),
             "meetsTarget": "yes" if h["meetsTarget"] else "no", "observedStaff": h["observedStaff"],
             "observedWaitP90Min": minutes(h["observedWaitP90Ms"]), "weeksObserved": h["weeksObserved"]}
            for h in answer["hours"]]


def days_of(binary, data):
    """Each salon's first and last day with anything, from the daily report."""
    days = {}
    for line in salonq(binary, data, "replay", "--report", "daily", "--format", "jsonl").splitlines():
        row = json.loads(line)
        first, last = days.get(row["salonId"], (row["day"], row["day"]))
        days[row["salonId"]] = (min(first, row["day"]), max(last, row["day"]))
    return days


def check_week(rows):
    """The advice follows the simulated week: Saturday (1.5x Monday's 0.6 walk-ins) gets more, Sunday nothing."""
    by_day = defaultdict(lambda: {"arrivals": 0.0, "staff": 0})
    for row in rows:
        by_day[row["weekday"]]["arrivals"] += row["arrivalsPerHour"]
        by_day[row["weekday"]]["staff"] += row["staff"]
    assert "Sun" not in by_day, by_day["Sun"]
    assert by_day["Sat"]["arrivals"] > 1.8 * by_day["Mon"]["arrivals"], dict(by_day)
    assert by_day["Sat"]["staff"] > by_day["Mon"]["staff"], dict(by_day)
    print(f"staffing_replay: staff-hours advised Mon {by_day['Mon']['staff']}, Sat {by_day['Sat']['staff']}")


def check(server, token, binary, data, days, reports):
    compared = 0
    for (first, last, target), by_salon in reports.items():
        for salon, (salon_first, _) in days.items():
            if not first <= salon_first <= last:
                continue
            answer = get(f"{server.url}/v1/salons/{salon}/staffing?from={first}&to={last}&targetWait={target}", token)
            assert (answer["from"], answer["to"], answer["targetWaitMs"]) == (first, last, target * 60000), answer
            span = (datetime.date.fromisoformat(last) - datetime.date.fromisoformat(salon_first)).days + 1
            if span < 7:
                assert answer["status"] == "not_enough_history" and answer["hours"] == [], (salon, answer)
                continue
            assert answer["status"] == "ok", (salon, answer["status"])
            want = by_salon.get(salon, [])
            got = answer_rows(answer)
            assert got == want, f"{salon} {first}..{last} target {target}:\n route  {got}\n replay {want}"
            compared += len(want)
    # The last weeks before today, where they reach the simulated days: the window the answer names, replayed.
    for salon in days:
        answer = get(f"{server.url}/v1/salons/{salon}/staffing?weeks=8", token)
        if answer["status"] != "ok":
            continue
        want = staffing_report(binary, data, answer["from"], answer["to"], 15).get(salon, [])
        assert answer_rows(answer) == want, f"{salon} weeks=8 ({answer['from']}..{answer['to']})"
        compared += len(want)
    return compared


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--salonq", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="salonq-staffing-") as tmp:
        data = Path(tmp) / "data"
        salonq(args.salonq, data, "simulate", "--salons", "1", "--days", "14", "--seed", "11", "--prefix", "sim",
               "--weekly", "--quiet")
        salonq(args.salonq, data, "demo")
        days = days_of(args.salonq, data)
        assert len(days) == 4, sorted(days)
        sim_first, sim_last = days["sim-0001"]
        reports = {}
        for target in (15, 8):
            reports[(sim_first, sim_last, target)] = staffing_report(args.salonq, data, sim_first, sim_last, target)
        check_week(reports[(sim_first, sim_last, 15)]["sim-0001"])
        for salon, (first, last) in days.items():  # the demo salons' own day
            if salon != "sim-0001":
                reports[(first, last, 15)] = staffing_report(args.salonq, data, first, last, 15)
        token = salonq(args.salonq, data, "token", "issue", "--role", "admin", "--all-salons", "--ttl", "1h").strip()
        for attempt in ("first start", "restart"):
            server = Server(args.salonq, data)
            try:
                started = time.monotonic()
                compared = check(server, token, args.salonq, data, days, reports)
                took = time.monotonic() - started
            finally:
                server.stop()
            assert compared > 50, compared
            print(f"staffing_replay: {attempt}: {compared} rows of the staffing report match the route ({took:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
