#!/usr/bin/python3
"""GET /v1/salons/{salonId}/stats gives the numbers `salonq replay --report` gives, on the same log.

A data directory gets `salonq demo` (three salons, a simulated day) and `salonq simulate` (two salons over four
days, so nights, day closes and staff shifts are in it). A real `salonq serve` on a loopback port then answers
each salon's whole range of days; every figure of the daily, hourly, staff and services reports (JSONL) must be in
the answer, in the reports' units (minutes to 0.1, utilisation to 0.001), and a day the reports do not list must be
all zeros. The server is stopped and started again (the stats come back from their store, not the log): the same
answers, nothing counted twice.

Run by ctest (test stats_replay, labels embedded and http) with Debian's /usr/bin/python3.
"""

import argparse
import datetime
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path


from serve_harness import Server, get, minutes, salonq


def report(binary, data, name):
    rows = defaultdict(list)
    for line in salonq(binary, data, "replay", "--report", name, "--format", "jsonl").splitlines():
        row = json.loads(line)
        rows[row["salonId"]].append(row)
    return rows


def expected_day(d):
    """A day of the answer in the daily report's columns."""
    reasons = d["priorityByReason"]
    return {"day": d["day"], "walkIns": d["walkIns"], "served": d["served"], "cancelled": d["cancelled"],
            "noShows": d["noShows"], "open": d["open"], "skips": d["skips"], "undoSkips": d["undoSkips"],
            "priorityStarts": d["priorityStarts"], "prioritySeniorCitizen": reasons["seniorCitizen"],
            "priorityMedicalUrgency": reasons["medicalUrgency"], "priorityChild": reasons["child"],
            "prioritySystemException": reasons["systemException"], "waitP50Min": minutes(d["waitMs"]["p50"]),
            "waitP90Min": minutes(d["waitMs"]["p90"]), "serviceP50Min": minutes(d["serviceMs"]["p50"]),
            "serviceP90Min": minutes(d["serviceMs"]["p90"]), "revenueCents": d["revenueCents"],
            "onDutyMin": minutes(d["onDutyMs"]), "busyMin": minutes(d["busyMs"]), "utilisation": d["utilisation"]}


def answer_rows(answer):
    """The answer as the four reports' rows (without salonId)."""
    daily, hourly, staff, services = [], [], [], []
    for d in answer["days"]:
        day = d["day"]
        if d["walkIns"] or d["onDutyMs"] or d["skips"] or d["undoSkips"] or d["noShows"] or d["staff"]:
            daily.append(expected_day(d))
        elif any(v for k, v in expected_day(d).items() if k != "day"):
            raise AssertionError(f"{day}: not zeros although nothing happened: {d}")
        for h in d["byHour"]:
            hourly.append({"day": day, "hour": h["hour"], "arrivals": h["arrivals"],
                           "waitP50Min": minutes(h["waitMs"]["p50"]), "waitP90Min": minutes(h["waitMs"]["p90"])})
        for s in d["staff"]:
            staff.append({"day": day, "staffId": s["staffId"], "served": s["served"], "onDutyMin": minutes(s["onDutyMs"]),
                          "busyMin": minutes(s["busyMs"]), "utilisation": s["utilisation"],
                          "revenueCents": s["revenueCents"], "serviceP50Min": minutes(s["serviceMs"]["p50"]),
                          "serviceP90Min": minutes(s["serviceMs"]["p90"])})
        for s in d["services"]:
            services.append({"day": day, "services": s["services"], "plannedMin": s["plannedMin"],
                             "served": s["served"], "serviceP50Min": minutes(s["serviceMs"]["p50"]),
                             "serviceP90Min": minutes(s["serviceMs"]["p90"])})
    return {"daily": daily, "hourly": hourly, "staff": staff, "services": services}


def check_against_reports(server, token, reports):
    checked = 0
    for salon, daily in reports["daily"].items():
        first, last = daily[0]["day"], daily[-1]["day"]
        answer = get(f"{server.url}/v1/salons/{salon}/stats?from={first}&to={last}", token)
        span = (datetime.date.fromisoformat(last) - datetime.date.fromisoformat(first)).days + 1
        assert len(answer["days"]) == span, (salon, len(answer["days"]), span)
        got = answer_rows(answer)
        for name, rows in reports.items():
            want = [{k: v for k, v in r.items() if k != "salonId"} for r in rows.get(salon, [])]
            assert got[name] == want, f"{salon} {name}:\n route  {got[name]}\n replay {want}"
            checked += len(want)
        # One day alone answers what the range answered for it.
        one = get(f"{server.url}/v1/salons/{salon}/stats?day={last}", token)
        assert one["days"] == answer["days"][-1:], (salon, one["days"], answer["days"][-1:])
    return checked


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--salonq", required=True)
    parser.add_argument("--data", help="compare on this data directory as it is (e.g. bench/stats_bench.sh's year)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="salonq-stats-") as tmp:
        data = Path(args.data) if args.data else Path(tmp) / "data"
        if not args.data:
            salonq(args.salonq, data, "demo")
            salonq(args.salonq, data, "simulate", "--salons", "2", "--days", "4", "--seed", "7", "--prefix", "sim",
                   "--quiet")
        reports = {name: report(args.salonq, data, name) for name in ("daily", "hourly", "staff", "services")}
        assert args.data or len(reports["daily"]) == 5, sorted(reports["daily"])
        token = salonq(args.salonq, data, "token", "issue", "--role", "admin", "--all-salons", "--ttl", "1h").strip()
        for attempt in ("first start", "restart"):
            server = Server(args.salonq, data)
            try:
                checked = check_against_reports(server, token, reports)
            finally:
                server.stop()
            print(f"stats_replay: {attempt}: {checked} report rows match the route")
    return 0


if __name__ == "__main__":
    sys.exit(main())
