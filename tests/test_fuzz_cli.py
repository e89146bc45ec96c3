"""Attacks on the command line's expression parser that stay in the suite: random text and
random Python syntax trees, through `_parser.parse` and through `cli.main` in-process.

The guarantees: every input is either refused with `ExpressionError` (exit code 2) or
evaluated (exit code 0, or 1 for a failure at run time such as ``log(-1)``); no other
exception escapes and no traceback is printed; an accepted expression uses only the
whitelist (checked by an independent walk over Python's own tree); and while the parser
and the command run, nothing but Python's ``compile`` (the AST parse) is audited: no
exec or eval, no import, no open, no process.
"""

from __future__ import annotations

import ast
import contextlib
import io
import math
import sys
from collections.abc import Iterator

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import cli
from autograd_mini._parser import CONSTANTS, FUNCTIONS, ExpressionError, parse

VARIABLES = ("x", "y")
POINT = {"x": 0.5, "y": -1.5}

# ---- nothing else runs: Python's audit events ------------------------------------------

_audited: list[str] | None = None  # the events seen while a check is armed


# compile: ast.parse itself; object.__getattr__: reading a frame's or code object's
# attributes (hypothesis does, on a test's first call), which runs nothing
_HARMLESS = {"compile", "object.__getattr__"}
# on a syntax error, CPython looks for the source line in the "file" ast.parse names
_SOURCE_LOOKUP = ("<unknown>", "rb")


def _record(event: str, args: tuple[object, ...]) -> None:
    if _audited is None or event in _HARMLESS:
        return
    if event == "open" and args[:2] == _SOURCE_LOOKUP:
        return
    _audited.append(f"{event} {args!r}"[:200])


sys.addaudithook(_record)  # audit hooks cannot be removed; this one is idle unless armed


@contextlib.contextmanager
def nothing_else_runs() -> Iterator[None]:
    """Fail if anything audited other than compiling to an AST (exec, import, open, a
    process, a socket, ...) happens inside the block."""
    global _audited
    _audited = []
    try:
        yield
    finally:
        seen, _audited = _audited, None
    assert seen == [], f"audited events while parsing or running: {seen[:5]}"


@pytest.fixture(scope="module", autouse=True)
def _imports_done() -> None:
    """Run every path once first, so that no first-use import is mistaken for an attack."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for text in ("tanh(x) * exp(y) - log(sqrt(abs(relu(sigmoid(x)))))", "x.y", "x +"):
            cli.main(["grad", "--at", "x=0.5,y=-1.5", "--", text])


# ---- an independent oracle: is this tree inside the whitelist? ----------------------

_ALLOWED_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


def whitelisted(tree: ast.AST) -> bool:
    """The parser's rules, restated over Python's own tree: numbers (finite, not bool or
    complex), known names and constants, + - * / **, unary + -, one-argument calls."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not (
                isinstance(node.func, ast.Name)
                and node.func.id in FUNCTIONS
                and len(node.args) == 1
                and not node.keywords
                and not isinstance(node.args[0], ast.Starred)
            ):
                return False
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                continue  # allowed only as a callee, checked with its Call
            if node.id not in VARIABLES and node.id not in CONSTANTS:
                return False
        elif isinstance(node, ast.Constant):
            value = node.value
            if type(value) not in (int, float):
                return False
            assert isinstance(value, int | float)
            try:
                if not math.isfinite(float(value)):
                    return False
            except OverflowError:
                return False
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, _ALLOWED_BINARY):
                return False
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                return False
        elif not isinstance(node, (ast.Expression, ast.Load, ast.operator, ast.unaryop)):
            return False
    bare_functions = {
        id(n) for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in FUNCTIONS
    }
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return bare_functions <= callees


# ---- random syntax trees ------------------------------------------------------------

_NAMES = ("x", "y", "z", "pi", "e", "exp", "tanh", "eval", "open", "__import__", "os", "print")
_BINARY = (
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Mod, ast.FloorDiv, ast.MatMult,
    ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd,
)  # fmt: skip
_UNARY = (ast.USub, ast.UAdd, ast.Not, ast.Invert)
_CONSTANTS = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(max_magnitude=10),
    st.booleans(),
    st.none(),
    st.just(...),
    st.text(max_size=4),
    st.binary(max_size=3),
)


def _name(identifier: str) -> ast.Name:
    return ast.Name(identifier, ast.Load())


def _extend(children: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
    """One syntax node over ``children``: the whitelisted kinds and many refused ones."""
    no_arguments = ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]
    )
    arguments = st.lists(children | children.map(lambda c: ast.Starred(c, ast.Load())), max_size=3)
    keywords = st.lists(children.map(lambda c: ast.keyword("k", c)), max_size=1)
    callee = st.sampled_from(_NAMES).map(_name) | children.map(
        lambda c: ast.Attribute(c, "exp", ast.Load())
    )
    pair = st.lists(children, min_size=2, max_size=2)
    loop = ast.comprehension(ast.Name("i", ast.Store()), _name("x"), [], 0)
    return st.one_of(
        st.builds(ast.BinOp, children, st.sampled_from(_BINARY).map(lambda op: op()), children),
        st.builds(ast.UnaryOp, st.sampled_from(_UNARY).map(lambda op: op()), children),
        st.builds(ast.Call, callee, arguments, keywords),
        st.sampled_from(sorted(FUNCTIONS)).flatmap(
            lambda f: children.map(lambda c: ast.Call(_name(f), [c], []))
        ),
        st.builds(
            ast.Attribute, children, st.sampled_from(["__class__", "data"]), st.just(ast.Load())
        ),
        st.builds(ast.Subscript, children, children, st.just(ast.Load())),
        st.builds(ast.Compare, children, st.just([ast.Lt()]), children.map(lambda c: [c])),
        st.builds(ast.BoolOp, st.sampled_from([ast.And(), ast.Or()]), pair),
        st.builds(ast.IfExp, children, children, children),
        children.map(lambda c: ast.Lambda(no_arguments, c)),
        st.builds(ast.Tuple, st.lists(children, max_size=2), st.just(ast.Load())),
        st.builds(ast.List, st.lists(children, max_size=2), st.just(ast.Load())),
        st.builds(ast.Set, st.lists(children, min_size=1, max_size=2)),
        st.builds(ast.Dict, children.map(lambda c: [c]), children.map(lambda c: [c])),
        children.map(lambda c: ast.NamedExpr(ast.Name("w", ast.Store()), c)),
        children.map(lambda c: ast.JoinedStr([ast.FormattedValue(c, -1, None)])),
        children.map(lambda c: ast.ListComp(c, [loop])),
        children.map(lambda c: ast.GeneratorExp(c, [loop])),
    )  # fmt: skip


def _mostly_whitelisted(children: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
    """One node over ``children``: a whitelisted one five times in six, else any of `_extend`'s."""
    kinds: dict[str, st.SearchStrategy[ast.expr]] = {
        "binary": st.builds(
            ast.BinOp, children, st.sampled_from(_ALLOWED_BINARY).map(lambda op: op()), children
        ),
        "unary": st.builds(ast.UnaryOp, st.sampled_from([ast.USub(), ast.UAdd()]), children),
        "call": st.sampled_from(sorted(FUNCTIONS)).flatmap(
            lambda f: children.map(lambda c: ast.Call(_name(f), [c], []))
        ),
        "other": _extend(children),
    }
    return st.sampled_from(["binary", "binary", "binary", "unary", "call", "other"]).flatmap(
        kinds.__getitem__
    )


SYNTAX_TREES = st.recursive(
    st.sampled_from(_NAMES).map(_name) | _CONSTANTS.map(ast.Constant),
    _extend,
    max_leaves=12,
) | st.recursive(  # trees that pass more often, so that accepting is attacked too
    st.sampled_from(["x", "y", "pi", "x", "y", "z"]).map(_name)
    | st.sampled_from([0, 1, 2.5, -3, 0.5, 1e300, 10**400, float("inf")]).map(ast.Constant),
    _mostly_whitelisted,
    max_leaves=12,
)


def source_of(tree: ast.expr) -> str | None:
    """``tree`` written back as Python text, or None when Python cannot write it."""
    try:
        return ast.unparse(ast.fix_missing_locations(ast.Expression(tree)))
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None


# ---- the attacks --------------------------------------------------------------------


def parse_and_evaluate(text: str) -> bool:
    """Parse ``text``; if accepted, evaluate it on floats and on Values and backprop.
    Returns whether it was accepted; any exception but the allowed ones fails the test."""
    try:
        with nothing_else_runs():
            expression = parse(text, VARIABLES)
    except ExpressionError as error:
        assert "\n" not in str(error), "an error message spans lines"
        return False
    leaves = {name: am.Value(value) for name, value in POINT.items()}
    with nothing_else_runs():
        for point in (POINT, leaves):
            try:
                result = expression.evaluate(point)
            except (ArithmeticError, ValueError):  # a domain error at run time: log(-1)
                continue
            if isinstance(result, am.Value):
                with contextlib.suppress(ArithmeticError, ValueError):
                    result.backward()
            else:
                assert isinstance(result, float)
    return True


@settings(max_examples=300)
@given(SYNTAX_TREES)
def test_random_syntax_trees_are_refused_or_evaluated_within_the_whitelist(
    tree: ast.expr,
) -> None:
    text = source_of(tree)
    assume(text is not None)
    assert text is not None
    accepted = parse_and_evaluate(text)
    try:
        reparsed = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        assert not accepted, f"accepted what Python cannot parse: {text!r}"
        return
    assert accepted == whitelisted(reparsed), text


@settings(max_examples=300)
@given(
    st.text(max_size=60)
    | st.text(alphabet="xyz()+-*/%.,[]:;='\"{} \n\\0123456789eEjJ_abcdfilnoprstw", max_size=60)
)
def test_random_text_is_refused_or_evaluated_and_nothing_else_runs(text: str) -> None:
    parse_and_evaluate(text)


@settings(max_examples=300)
@given(
    st.one_of(
        SYNTAX_TREES.map(source_of).filter(lambda t: t is not None),
        st.text(alphabet="xy()+-*/.,e0123456789 lgtanhsqrpexbu_", max_size=40),
    )
)
def test_random_expressions_through_the_command_exit_0_1_or_2_without_a_traceback(
    text: str | None,
) -> None:
    assert text is not None
    try:
        parse(text, VARIABLES)
        refused = False
    except ExpressionError:
        refused = True
    out, err = io.StringIO(), io.StringIO()
    with nothing_else_runs(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["grad", "--at", "x=0.5,y=-1.5", "--", text])
    assert "Traceback" not in err.getvalue() + out.getvalue()
    if refused:
        assert code == 2, (text, err.getvalue())
        assert out.getvalue() == ""
        assert err.getvalue().startswith("autograd-mini: error: grad: ")
        assert err.getvalue().count("\n") == 1
    else:  # evaluated: 0, or 1 for a domain error or a failed check, told on one line
        assert code in (0, 1), (text, code, err.getvalue())
        assert err.getvalue().count("\n") == (code == 1), (text, err.getvalue())
