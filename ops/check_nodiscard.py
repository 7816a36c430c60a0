#!/usr/bin/env python3
"""Fails when a function declaration returning std::expected lacks [[nodiscard]] (part of ops/test.sh).

    ops/check_nodiscard.py [--self-test] [file...]     (default: every tracked .cpp/.hpp)

The rule (STYLE.md, errors): an error cannot be ignored silently. GCC warns about a discarded result only when the
declaration carries [[nodiscard]], and clang-tidy's bugprone-unused-return-value sees only the calls it is shown, so
the attribute itself is checked here. Counted as returning std::expected: `std::expected<...> name(`, the same with a
trailing `-> std::expected<...>`, and any alias `using name = std::expected<...>` found in the tree (decision, ...).
Checked are the declarations at namespace and class scope: a qualified out-of-line definition (`klass::name(`) is
covered by its declaration in the class, and lambdas and locals inside function bodies are not declarations.
A lexical check, not a parser: comments, string literals and preprocessor lines are blanked first.
Exit status 1 and one line per finding (file:line: name) if any declaration lacks the attribute.
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALIAS = re.compile(r"\busing\s+(\w+)\s*=\s*(?:::)?std::expected\b")
SPECIFIERS = {"static", "inline", "virtual", "constexpr", "consteval", "friend", "explicit", "extern"}


def blank(text):
    """Replaces comments, string/char literals and preprocessor lines by spaces, keeping offsets and newlines."""
    out, i, n = list(text), 0, len(text)

    def wipe(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    line_start = True
    while i < n:
        c = text[i]
        if line_start and c == "#":
            j = i
            while j < n and (text[j] != "\n" or text[j - 1] == "\\"):
                j += 1
            wipe(i, j)
            i = j
            continue
        if c == "\n":
            line_start = True
            i += 1
            continue
        if not c.isspace():
            line_start = False
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            wipe(i, j)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            wipe(i, j)
            i = j
        elif c == "R" and text.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            wipe(i + 1, j)
            i = j
        elif c in "\"'" and not (c == "'" and i > 0 and text[i - 1].isalnum()):  # 1'000 is a digit separator
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            wipe(i + 1, j)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def balanced(text, i, open_c, close_c):
    """Index just past the bracket closing the one at text[i] (== open_c), or -1."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] == open_c:
            depth += 1
        elif text[j] == close_c:
            depth -= 1
            if depth == 0:
                return j + 1
    return -1


def declaration_scopes(code):
    """For every offset, whether it lies at namespace or class scope (True) or inside a body/initializer (False)."""
    inside = [False] * (len(code) + 1)
    stack, last, pos = [], 0, 0  # stack: is each open brace a declaration scope
    for m in re.finditer(r"[;{}]", code):
        here = not stack or stack[-1]
        for k in range(pos, m.start() + 1):
            inside[k] = here
        pos = m.start() + 1
        if m.group() == "{":
            head = code[last:m.start()]
            opens_scope = here and re.search(r"\b(namespace|class|struct|union)\b", head) and "(" not in head \
                and "=" not in head and not re.search(r"\benum\b", head)
            opens_scope = opens_scope or (here and head.strip() == "extern")
            stack.append(bool(opens_scope))
        elif m.group() == "}" and stack:
            stack.pop()
        last = m.start() + 1
    for k in range(pos, len(code) + 1):
        inside[k] = not stack or stack[-1]
    return inside


def statement_start(code, i):
    """Offset where the declaration ending at i begins: after the previous ; { } or access specifier."""
    j = i
    while j > 0:
        c = code[j - 1]
        if c in ";{}":
            break
        if c == ":" and code[j - 2] != ":" and (j >= len(code) or code[j] != ":"):
            if re.search(r"\b(public|private|protected)\s*$", code[:j - 1]):
                break
        j -= 1
    return j


def has_nodiscard(prefix):
    """Whether a declaration's text before its return type carries [[nodiscard]] in an allowed place."""
    rest = re.sub(r"\btemplate\s*<", "template<", prefix)
    while "template<" in rest:  # drop template heads (balanced <...>)
        k = rest.index("template<") + len("template")
        end = balanced(rest, k, "<", ">")
        rest = rest[:rest.index("template<")] + " " + (rest[end:] if end > 0 else "")
    return re.search(r"\[\[\s*nodiscard\b", rest) is not None


def expected_types(files):
    names = {"expected"}
    for text in files.values():
        names.update(ALIAS.findall(blank(text)))
    return names


def kind_after(code, open_paren):
    """'definition' if the parameter list opening at code[open_paren] is followed by a body, else 'declaration'."""
    close = balanced(code, open_paren, "(", ")")
    if close < 0:
        return "declaration"
    rest = re.match(r"[^;{]*?(;|\{|=)", code[close:])
    return "definition" if rest and rest.group(1) == "{" else "declaration"


def declarations_in(text, names):
    """(line, name, definition?, nodiscard?) of every function at namespace or class scope returning std::expected."""
    code = blank(text)
    scopes = declaration_scopes(code)
    type_re = "|".join(sorted(re.escape(n) for n in names))
    # A return type: optionally qualified (std::expected, engine::decision), then a template argument list or none.
    leading = re.compile(r"(?<![\w:.>])((?:::)?(?:\w+::)*(?:" + type_re + r"))\b\s*(<)?")
    found = []
    for m in leading.finditer(code):
        start = m.start(1)
        if not scopes[start]:
            continue
        qualified = m.group(1)
        if qualified.split("::")[-1] == "expected" and not re.search(r"(^|::)std::expected$", qualified):
            continue  # only std::expected, not another template called expected
        end = balanced(code, m.start(2), "<", ">") if m.group(2) else m.end(1)
        if end < 0:
            continue
        decl = re.match(r"\s*((?:\w+::)*)(\w+)\s*\(", code[end:])
        if not decl or decl.group(2) == "operator" or decl.group(1):
            continue  # a variable, a temporary, an operator, or an out-of-line member definition
        head = code[statement_start(code, start):start]
        words = set(re.findall(r"\b\w+\b", re.sub(r"\[\[.*?\]\]", " ", head)))
        if {"using", "typedef", "return"} & words or not (words <= SPECIFIERS | {"template"}
                                                         or re.search(r"\btemplate\s*<", head)):
            continue  # an alias, an expression, or a type argument of something else
        paren = end + decl.end() - 1
        found.append((code.count("\n", 0, start) + 1, decl.group(2), kind_after(code, paren) == "definition",
                      has_nodiscard(head)))
    # Trailing return types: auto name(...) ... -> std::expected<...>
    for m in re.finditer(r"(?<![\w:])auto\s+(\w+)\s*\(", code):
        start = m.start()
        if not scopes[start]:
            continue
        close = balanced(code, m.end() - 1, "(", ")")
        after = re.match(r"[\s\w&]*->\s*((?:::)?(?:\w+::)*(\w+))", code[close:]) if close > 0 else None
        if not after or after.group(2) not in names:
            continue
        found.append((code.count("\n", 0, start) + 1, m.group(1), kind_after(code, m.end() - 1) == "definition",
                      has_nodiscard(code[statement_start(code, start):start])))
    return sorted(found)


INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def findings(files, names, checked):
    """A declaration needs [[nodiscard]]; a definition too, unless the file or a project header it includes
    (transitively) declares the name with it (a function declared in a header is marked there)."""
    decls = {path: declarations_in(text, names) for path, text in files.items()}
    marked = {path: {name for _, name, _, attr in d if attr} for path, d in decls.items()}
    includes = {path: [h for h in INCLUDE.findall(text) if h in files] for path, text in files.items()}

    def visible(path):
        seen, todo, names_seen = set(), [path], set()
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                names_seen |= marked.get(p, set())
                todo += includes.get(p, [])
        return names_seen

    out = []
    for path in checked:
        marked_here = None
        for line, name, definition, attr in decls[path]:
            if attr:
                continue
            if definition:
                marked_here = visible(path) if marked_here is None else marked_here
                if name in marked_here:
                    continue
            out.append(f"{path}:{line}: {name} returns std::expected without [[nodiscard]]")
    return out


def tracked_sources():
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.cpp", "*.hpp"],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return out.split()


SELF_TEST = {  # file: (text, names it must report)
    "a/missing.hpp": ("namespace a {\nstd::expected<int, e> f();\n"
                      "struct s {\n    static std::expected<void, e> g(int);\n    decision h() const;\n};\n"
                      "auto t(int x) -> std::expected<int, e>;\n}\n", ["f", "g", "h", "t"]),
    "a/fine.hpp": ("using decision = std::expected<int, r>;\nnamespace a {\n[[nodiscard]] std::expected<int, e> f();\n"
                   "class c : public std::enable_shared_from_this<decision_race> {\npublic:\n"
                   "    [[nodiscard]] static std::expected<void, e> g(int);\n"
                   "    template <typename T>\n    [[nodiscard]] decision h(T) const;\n};\n"
                   "using completion = std::function<void(std::expected<int, e>)>;\n"
                   "// std::expected<int, e> commented();\n"
                   "[[nodiscard]] auto t(int x) -> std::expected<int, e>;\n"
                   "std::optional<std::expected<int, e>> maybe();\n}\n", []),
    "a/fine.cpp": ('#include "a/fine.hpp"\nnamespace a {\nnamespace {\n'
                   "std::expected<int, e> local(int) { return 1; }\n"  # file-local, defined without it: reported
                   "[[nodiscard]] std::expected<int, e> marked(int) { return 1; }\n}\n"
                   "std::expected<int, e> f() { return 1; }\n"  # declared with it in the header
                   "std::expected<void, e> c::g(int) {\n"  # an out-of-line member, a local, a temporary
                   "    std::expected<int, e> r(1);\n    return r ? std::expected<int, e>{} : r;\n}\n"
                   "void m() { auto l = [](int) -> std::expected<int, e> { return 1; }; }\n}\n", ["local"]),
}


def self_test():
    files = {k: v[0] for k, v in SELF_TEST.items()}
    names = expected_types(files)
    ok = True
    for path, (text, want) in SELF_TEST.items():
        got = [line.split(": ")[1].split()[0] for line in findings(files, names, [path])]
        if got != want:
            print(f"self-test {path}: expected findings {want}, got {got}")
            ok = False
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--self-test", action="store_true", help="check the checker on built-in examples first")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    if args.self_test and not self_test():
        return 1
    every = {p: (ROOT / p).read_text(encoding="utf-8") for p in tracked_sources()}
    names = expected_types(every)
    files = [str(Path(p).resolve().relative_to(ROOT)) for p in args.files] if args.files else sorted(every)
    problems = findings(every, names, files)
    for line in problems:
        print(line)
    print(f"nodiscard: {len(files)} files, {len(problems)} declarations returning std::expected lack [[nodiscard]]")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
