#!/usr/bin/python3
"""Checks schemas/ against itself and against the real codec.

1. Every schema is a valid draft 2020-12 schema; every command and event type has a schema, the index schemas
   and the type enums in common.schema.json list exactly those types, and every type has an example.
2. Every example validates against its own type schema and the index schema (client commands against
   command.schema.json, log-form commands against command-log.schema.json, events against event.schema.json).
3. Every example round-trips through the codec (test/tools/codec_tool): the re-encoding is equal JSON and
   still validates. A client command comes back in log form: equal after dropping receivedAt, with the
   codec's defaults (v 1, actor system) filled in.
4. The engine's real output (codec_tool sample-events: decide + evolve over a scenario) validates, and every
   event type, command_rejected included, appears in it.
5. Negative cases: mutated examples (extra field, bad token, receivedAt from a client, ...) are refused by the
   schemas and by the codec, with the expected error code.
6. Internal records (schemas/internal/: a salon's state, salon_snapshot and dedupe_chunk of salonq.snapshots):
   each example validates and round-trips through the codec, and a broken one is refused by both.
7. Read models (schemas/views/: the queue view and a ticket's status): the examples validate and round-trip
   through the projections' codec (test/tools/view_tool); the view folded from the engine's sample output after
   every event, and every ticket's status then, validate; a broken view is refused by the schema and the codec.

Run by ctest (test `schemas`) with Debian's /usr/bin/python3 and python3-jsonschema.
"""

import argparse
import copy
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
from jsonschema import Draft202012Validator


class Checker:
    def __init__(self, tool: str, view_tool: str, root: Path):
        self.tool = tool
        self.view_tool = view_tool
        self.root = root
        self.passed = 0
        self.failed = 0
        self.schemas = {}  # path relative to root -> schema
        for path in sorted(root.rglob("*.schema.json")):
            self.schemas[path.relative_to(root).as_posix()] = json.loads(path.read_text(encoding="utf-8"))
        self._validators = {}

    # -- bookkeeping -------------------------------------------------------------------------------------------

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f"\n     {detail}" if detail else ""))
        return ok

    # -- schemas -----------------------------------------------------------------------------------------------

    def validator(self, rel: str) -> Draft202012Validator:
        if rel not in self._validators:
            schema = self.schemas[rel]
            try:  # jsonschema >= 4.18
                from referencing import Registry, Resource

                registry = Registry().with_resources(
                    (s["$id"], Resource.from_contents(s)) for s in self.schemas.values()
                )
                self._validators[rel] = Draft202012Validator(schema, registry=registry)
            except ImportError:  # Debian 12 ships 4.10
                store = {s["$id"]: s for s in self.schemas.values()}
                resolver = jsonschema.RefResolver.from_schema(schema, store=store)
                self._validators[rel] = Draft202012Validator(schema, resolver=resolver)
        return self._validators[rel]

    def errors(self, rel: str, instance) -> list[str]:
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in self.validator(rel).iter_errors(instance)
        ]

    def valid(self, rel: str, instance, what: str) -> bool:
        errs = self.errors(rel, instance)
        return self.check(not errs, f"{what} validates against {rel}", "; ".join(errs[:3]))

    def invalid(self, rel: str, instance, what: str) -> bool:
        return self.check(bool(self.errors(rel, instance)), f"{rel} rejects {what}")

    # -- codec_tool --------------------------------------------------------------------------------------------

    def run_tool(self, mode: str, messages: list, tool: str = "") -> tuple[int, list, str]:
        text = "".join(json.dumps(m, ensure_ascii=False, separators=(",", ":")) + "\n" for m in messages)
        proc = subprocess.run([tool or self.tool, mode], input=text, capture_output=True, text=True, timeout=60)
        out = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        return proc.returncode, out, proc.stderr.strip()

    # -- the checks --------------------------------------------------------------------------------------------

    def types(self, folder: str) -> list[str]:
        return sorted(Path(rel).name.removesuffix(".schema.json") for rel in self.schemas if rel.startswith(folder))

    def examples(self, folder: str) -> list[tuple[str, str, dict]]:
        """(file name, type from the file name, message) for every example in examples/<folder>."""
        out = []
        for path in sorted((self.root / "examples" / folder).glob("*.json")):
            out.append((f"examples/{folder}/{path.name}", path.name.split(".")[0], json.loads(path.read_text())))
        return out

    def check_schemas(self):
        for rel, schema in self.schemas.items():
            try:
                Draft202012Validator.check_schema(schema)
                ok, detail = True, ""
            except jsonschema.SchemaError as e:
                ok, detail = False, e.message
            self.check(ok, f"{rel} is a valid draft 2020-12 schema", detail)
            self.check(
                schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema",
                f"{rel} declares draft 2020-12",
            )
            self.check(self.no_open_objects(schema), f"{rel}: every object schema has additionalProperties false")

        commands, events = self.types("commands/"), self.types("events/")
        common = self.schemas["common.schema.json"]["$defs"]
        self.check(sorted(common["commandType"]["enum"]) == commands, "commandType enum lists commands/*")
        self.check(sorted(common["eventType"]["enum"]) == events, "eventType enum lists events/*")
        for index, folder, names in (
            ("command.schema.json", "commands", commands),
            ("event.schema.json", "events", events),
        ):
            refs = sorted(b["$ref"] for b in self.schemas[index]["oneOf"])
            self.check(refs == [f"{folder}/{n}.schema.json" for n in names], f"{index} oneOf covers {folder}/*")
        log_refs = sorted(b["$ref"] for b in self.schemas["command-log.schema.json"]["oneOf"])
        self.check(log_refs == [f"#/$defs/{n}" for n in commands], "command-log.schema.json oneOf covers commands/*")
        for folder, names in (("commands", commands), ("commands-log", commands), ("events", events)):
            have = {t for _, t, _ in self.examples(folder)}
            for name in names:
                self.check(name in have, f"examples/{folder} has an example of {name}")
        return commands, events

    def no_open_objects(self, node) -> bool:
        if isinstance(node, dict):
            if "properties" in node and node.get("additionalProperties") is not False:
                return False
            return all(self.no_open_objects(v) for v in node.values())
        if isinstance(node, list):
            return all(self.no_open_objects(v) for v in node)
        return True

    def check_examples(self):
        client = self.examples("commands")
        log = self.examples("commands-log")
        events = self.examples("events")
        for name, t, msg in client:
            self.check(msg.get("type") == t, f"{name} has type {t}")
            self.valid(f"commands/{t}.schema.json", msg, name)
            self.valid("command.schema.json", msg, name)
            self.invalid("command-log.schema.json", msg, f"{name} (a client command has no receivedAt)")
        for name, t, msg in log:
            self.check(msg.get("type") == t, f"{name} has type {t}")
            self.valid("command-log.schema.json", msg, name)
            self.invalid("command.schema.json", msg, f"{name} (receivedAt is stamped by the engine)")
        for name, t, msg in events:
            self.check(msg.get("type") == t, f"{name} has type {t}")
            self.valid(f"events/{t}.schema.json", msg, name)
            self.valid("event.schema.json", msg, name)

        # Client commands come back in log form.
        rc, out, err = self.run_tool("command-client", [m for _, _, m in client])
        if self.check(rc == 0 and len(out) == len(client), "codec decodes every client command example", err):
            for (name, t, msg), back in zip(client, out):
                self.valid("command-log.schema.json", back, f"codec re-encoding of {name}")
                expected = {"v": 1, "actor": {"kind": "system", "id": "system"}, **msg}
                got = {k: v for k, v in back.items() if k != "receivedAt"}
                self.check(got == expected, f"{name} round-trips through the codec (client form)", json.dumps(back))
            rc, again, err = self.run_tool("command-log", out)
            self.check(rc == 0 and again == out, "the codec's log form of the client examples reads back equal", err)

        for folder, mode, schema in (("commands-log", "command-log", None), ("events", "entry", "events")):
            examples = self.examples(folder)
            rc, out, err = self.run_tool(mode, [m for _, _, m in examples])
            if not self.check(rc == 0 and len(out) == len(examples), f"codec decodes every {folder} example", err):
                continue
            for (name, t, msg), back in zip(examples, out):
                self.check(back == msg, f"{name} round-trips through the codec", json.dumps(back))
                if schema:
                    self.valid(f"events/{t}.schema.json", back, f"codec re-encoding of {name}")
                else:
                    self.valid("command-log.schema.json", back, f"codec re-encoding of {name}")

    def check_sample_events(self, event_types: list[str]):
        rc, out, err = self.run_tool("sample-events", [])
        if not self.check(rc == 0 and out, "codec_tool sample-events runs", err):
            return
        seen = set()
        last_seq = 0
        for i, entry in enumerate(out, 1):
            t = entry.get("type", "?")
            seen.add(t)
            what = f"sample event {i} ({t})"
            if not self.valid("event.schema.json", entry, what):
                continue
            self.valid(f"events/{t}.schema.json", entry, what)
            if t == "command_invalid":
                continue  # not a salon's event: it answers a message of the commands topic, takes no seq
            if t == "command_rejected":
                self.check(entry["atSeq"] == last_seq, f"{what}: atSeq is the salon's seq")
            else:
                self.check(entry["seq"] == last_seq + 1, f"{what}: seq is gapless")
                last_seq = entry["seq"]
        for t in event_types:
            self.check(t in seen, f"the engine's sample output contains {t}")

    def check_negatives(self):
        def example(folder, name):
            return json.loads((self.root / "examples" / folder / f"{name}.json").read_text())

        def mutate(folder, name, change):
            msg = copy.deepcopy(example(folder, name))
            change(msg)
            return msg

        def put(path, value):
            def change(msg):
                *parents, last = path
                node = msg
                for key in parents:
                    node = node[key]
                node[last] = value

            return change

        def drop(path):
            def change(msg):
                *parents, last = path
                node = msg
                for key in parents:
                    node = node[key]
                del node[last]

            return change

        # (what, folder, example, mutation, expected codec error code)
        cases = [
            ("an unknown envelope field", "commands", "walk_in", put(["priority"], True), "unknown_field"),
            ("an unknown payload field", "commands", "walk_in", put(["payload", "vip"], True), "unknown_field"),
            ("receivedAt from a client", "commands", "start",
             put(["receivedAt"], "2026-11-21T09:12:00.104Z"), "unknown_field"),
            ("a client-supplied position on undo_skip", "commands", "undo_skip",
             put(["payload", "position"], 1), "unknown_field"),
            ("schema version 2", "commands", "clock_in", put(["v"], 2), "unsupported_version"),
            ("an id with a space", "commands", "walk_in",
             put(["payload", "customer", "customerId"], "cust 1187"), "invalid_value"),
            ("an empty id", "commands", "clock_in", put(["payload", "staffId"], ""), "invalid_value"),
            ("a 65-character id", "commands", "clock_in", put(["commandId"], "c" * 65), "too_long"),
            ("ticketId 0", "commands", "complete", put(["payload", "ticketId"], 0), "out_of_range"),
            ("a ticketId as a string", "commands", "complete", put(["payload", "ticketId"], "1"), "wrong_type"),
            ("a fractional amount", "commands", "complete", put(["payload", "amountCents"], 12.5), "wrong_type"),
            ("a negative expectedSeq", "commands", "skip", put(["expectedSeq"], -1), "out_of_range"),
            ("a missing staffId", "commands", "start", drop(["payload", "staffId"]), "missing_field"),
            ("a missing payload", "commands", "close_day", drop(["payload"]), "missing_field"),
            ("an unknown role", "commands", "add_staff", put(["payload", "role"], "boss"), "invalid_value"),
            ("an unknown actor kind", "commands", "skip", put(["actor", "kind"], "robot"), "invalid_value"),
            ("a control character in a name", "commands", "walk_in",
             put(["payload", "customer", "name"], "Priya\tShah"), "invalid_value"),
            ("a 201-byte name", "commands", "register_salon", put(["payload", "name"], "x" * 201), "too_long"),
            ("21 services on one ticket", "commands", "walk_in", put(["payload", "services"], ["cut"] * 21),
             "too_long"),
            ("a lowercase token", "events", "ticket_issued", put(["payload", "token"], "l89"), "invalid_value"),
            ("a two-character token", "events", "ticket_issued", put(["payload", "token"], "L8"), "invalid_value"),
            ("a four-character token", "events", "ticket_issued", put(["payload", "token"], "L890"), "too_long"),
            ("an unknown event payload field", "events", "ticket_issued", put(["payload", "eta"], 5),
             "unknown_field"),
            ("a local time", "events", "service_started", put(["at"], "2026-11-21T09:12:00.104+01:00"),
             "invalid_value"),
            ("a time without a Z", "events", "service_started", put(["at"], "2026-11-21 09:12:00"), "invalid_value"),
            ("a missing seq", "events", "staff_added", drop(["seq"]), "missing_field"),
            ("seq 0", "events", "staff_added", put(["seq"], 0), "out_of_range"),
            ("an unknown rejection code", "events", "command_rejected", put(["payload", "code"], "nope"),
             "invalid_value"),
            ("an unknown priority reason", "events", "priority_started", put(["payload", "reason"], "vip"),
             "invalid_value"),
            ("a month 13 day", "events", "day_closed", put(["payload", "day"], "2026-13-01"), "invalid_value"),
            ("a no-show ticket 0", "events", "day_closed", put(["payload", "noShows"], [0]), "out_of_range"),
            ("an unknown ticket status", "events", "ticket_cancelled", put(["payload", "was"], "gone"),
             "invalid_value"),
        ]
        for what, folder, name, change, code in cases:
            msg = mutate(folder, name, change)
            t = msg["type"]
            if folder == "commands":
                type_schema, index, mode = f"commands/{t}.schema.json", "command.schema.json", "command-client"
            else:
                type_schema, index, mode = f"events/{t}.schema.json", "event.schema.json", "entry"
            self.invalid(type_schema, msg, f"{what} ({name})")
            self.invalid(index, msg, f"{what} ({name})")
            rc, _, err = self.run_tool(mode, [msg])
            self.check(rc == 1 and f": {code} " in err, f"the codec refuses {what} ({name}) with {code}", err)

        # An unknown type matches no branch of the index schemas, and the codec refuses it too.
        bogus = mutate("commands", "start", put(["type"], "teleport"))
        self.invalid("command.schema.json", bogus, "an unknown command type")
        rc, _, err = self.run_tool("command-client", [bogus])
        self.check(rc == 1 and ": unknown_type " in err, "the codec refuses an unknown command type", err)
        # A message of one type does not validate against another type's schema.
        self.invalid("commands/start.schema.json", example("commands", "complete"), "a complete command")
        self.invalid("events/staff_clocked_in.schema.json", example("events", "staff_clocked_out"), "clock-out")

    def check_internal(self):
        """The records of salonq.snapshots and the state: each example validates, round-trips through the codec,
        and a broken one is refused by both."""
        for name, mode, schema in (
            ("salon_state", "state", "internal/salon_state.schema.json"),
            ("salon_snapshot", "snapshot", "internal/salon_snapshot.schema.json"),
            ("dedupe_chunk", "chunk", "internal/dedupe_chunk.schema.json"),
        ):
            path = self.root / "examples" / "internal" / f"{name}.json"
            if not self.check(path.exists(), f"examples/internal has an example of {name}"):
                continue
            msg = json.loads(path.read_text())
            self.valid(schema, msg, f"examples/internal/{name}.json")
            rc, out, err = self.run_tool(mode, [msg])
            self.check(rc == 0 and out == [msg], f"examples/internal/{name}.json round-trips through the codec",
                       err or json.dumps(out))
            broken = copy.deepcopy(msg)
            broken["extra"] = 1
            self.invalid(schema, broken, f"{name} with an unknown field")
            rc, _, err = self.run_tool(mode, [broken])
            self.check(rc == 1 and ": unknown_field " in err, f"the codec refuses {name} with an unknown field", err)
        chunk = json.loads((self.root / "examples" / "internal" / "dedupe_chunk.json").read_text())
        chunk["entries"][0][3] = chunk["to"]  # an outcome outside [from, to)
        rc, _, err = self.run_tool("chunk", [chunk])
        self.check(rc == 1 and ": out_of_range " in err, "the codec refuses a chunk entry outside [from, to)", err)


    def check_views(self):
        """The read models: examples, the views of the engine's sample day, and broken views."""
        view_schema, ticket_schema = "views/queue_view.schema.json", "views/ticket_status.schema.json"
        example = json.loads((self.root / "examples" / "views" / "queue_view.json").read_text())
        self.valid(view_schema, example, "examples/views/queue_view.json")
        rc, out, err = self.run_tool("view", [example], self.view_tool)
        self.check(rc == 0 and out == [example], "examples/views/queue_view.json round-trips through the codec",
                   err or json.dumps(out))
        ticket = json.loads((self.root / "examples" / "views" / "ticket_status.json").read_text())
        self.valid(ticket_schema, ticket, "examples/views/ticket_status.json")
        stats = json.loads((self.root / "examples" / "views" / "salon_stats.json").read_text())
        self.valid("views/salon_stats.schema.json", stats, "examples/views/salon_stats.json")
        no_percentile = copy.deepcopy(stats)
        del no_percentile["days"][0]["waitMs"]["p90"]
        self.invalid("views/salon_stats.schema.json", no_percentile, "a stats day whose wait has no p90")
        no_accuracy = copy.deepcopy(stats)
        del no_accuracy["days"][1]["prediction"]["predictor"]["biasMs"]
        self.invalid("views/salon_stats.schema.json", no_accuracy, "a stats day whose prediction has no bias")
        advice = json.loads((self.root / "examples" / "views" / "staffing_advice.json").read_text())
        self.valid("views/staffing_advice.schema.json", advice, "examples/views/staffing_advice.json")
        bad_hour = copy.deepcopy(advice)
        bad_hour["hours"][0]["hour"] = 24
        self.invalid("views/staffing_advice.schema.json", bad_hour, "a staffing hour 24")

        _, sample, _ = self.run_tool("sample-events", [])
        rc, views, err = self.run_tool("fold", sample, self.view_tool)
        if self.check(rc == 0 and len(views) > 10, "view_tool folds the engine's sample day", err):
            for view in views:
                self.valid(view_schema, view, f"the view at seq {view['seq']}")
            rc, back, err = self.run_tool("view", views, self.view_tool)
            self.check(rc == 0 and back == views, "every view of the sample day round-trips through the codec", err)
            for key in ("waiting", "serving", "skipped", "recentlyEnded"):
                self.check(any(v[key] for v in views), f"the sample day's views have {key} tickets")
        rc, tickets, err = self.run_tool("tickets", sample, self.view_tool)
        if self.check(rc == 0 and tickets, "view_tool prints the sample day's ticket statuses", err):
            for t in tickets:
                self.valid(ticket_schema, t, f"ticket {t['ticketId']} at seq {t['seq']}")
            statuses = {t["status"] for t in tickets}
            for status in ("waiting", "serving", "skipped", "completed", "cancelled", "no_show"):
                self.check(status in statuses, f"the sample day's ticket statuses include {status}")

        def broken(change):
            msg = copy.deepcopy(example)
            change(msg)
            return msg

        # (what, mutation, expected codec error code, whether the schema can see it)
        cases = [
            ("an unknown field", lambda m: m.update(extra=1), "unknown_field", True),
            ("a phone number", lambda m: m["waiting"][0].update(phone="+44 7700 900123"), "unknown_field", True),
            ("an estimate without its start", lambda m: m["waiting"][1].pop("estimatedStart"), "missing_field", True),
            ("a bad token", lambda m: m["serving"][0].update(token="l89"), "invalid_value", True),
            ("a gap in the positions", lambda m: m["waiting"][1].update(position=3), "invalid_value", False),
            ("absences for six weekdays", lambda m: m["observed"]["staff"][0].update(absentInRow=[0] * 6),
             "invalid_value", True),
            ("an absence count of 4", lambda m: m["observed"]["staff"][0].update(absentInRow=[4, 0, 0, 0, 0, 0, 0]),
             "out_of_range", True),
            ("an absence count of 1.5",
             lambda m: m["observed"]["staff"][0].update(absentInRow=[1.5, 0, 0, 0, 0, 0, 0]), "wrong_type", True),
            ("closes for six weekdays", lambda m: m["observed"]["lastStartByWeekday"].pop(), "invalid_value", True),
            ("a weekday's close never seen but at 16:00",
             lambda m: m["observed"]["lastStartByWeekday"][3].update(lastStartMin=960), "invalid_value", False),
            ("closes per weekday, none seen",
             lambda m: m["observed"].update(lastStartByWeekday=[{"lastStartMin": 0, "days": 0}] * 7),
             "invalid_value", False),
            ("closes per weekday without the salon's",
             lambda m: [m["observed"].pop(k) for k in ("lastStartMin", "days")], "invalid_value", True),
        ]
        for what, change, code, schema_sees in cases:
            msg = broken(change)
            if schema_sees:
                self.invalid(view_schema, msg, f"a view with {what}")
            rc, _, err = self.run_tool("view", [msg], self.view_tool)
            self.check(rc == 1 and f": {code} " in err, f"the codec refuses a view with {what} ({code})", err)
        waiting = copy.deepcopy(ticket)
        del waiting["position"]
        self.invalid(ticket_schema, waiting, "a waiting ticket without its position")
        over = copy.deepcopy(ticket)
        over["status"] = "completed"
        self.invalid(ticket_schema, over, "an ended ticket without endedAt")

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", required=True, help="path to the codec_tool binary")
    parser.add_argument("--view-tool", required=True, help="path to the view_tool binary")
    parser.add_argument("--schemas", required=True, type=Path, help="path to the schemas/ folder")
    args = parser.parse_args()

    checker = Checker(args.tool, args.view_tool, args.schemas)
    _, event_types = checker.check_schemas()
    checker.check_examples()
    checker.check_sample_events(event_types)
    checker.check_negatives()
    checker.check_internal()
    checker.check_views()
    print(f"{checker.passed} passed, {checker.failed} failed")
    return 0 if checker.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
