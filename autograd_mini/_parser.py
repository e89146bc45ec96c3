"""A safe parser for the expressions the command line differentiates, such as ``tanh(x*y) + x**2``.

The text is parsed by Python's `ast` and checked against a short whitelist: real
numbers, the named variables, ``+ - * / **``, unary minus and plus, parentheses, and
one-argument calls to the library's functions. It is evaluated by walking the tree
into Value operations; user text is never given to `eval` or `exec`.

>>> expression = parse("tanh(x * y) + x**2", ["x", "y"])
>>> expression.names
('x', 'y')
>>> round(expression.evaluate({"x": 0.5, "y": -1.0}), 6)
-0.212117
>>> parse("x.__class__", ["x"])
Traceback (most recent call last):
...
autograd_mini._parser.ExpressionError: attribute access is not allowed: 'x.__class__'
"""

from __future__ import annotations

import ast
import io
import keyword
import math
import tokenize
import unicodedata
from collections.abc import Callable, Collection, Mapping
from typing import Any

from autograd_mini._engine import Value, abs_, exp, log, relu, sigmoid, sqrt, tanh

FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "exp": exp,
    "log": log,
    "sqrt": sqrt,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "abs": abs_,
}
"""The functions an expression may call, each with exactly one argument."""

CONSTANTS = {"pi": math.pi, "e": math.e}
"""Names with a fixed value, unless a variable of the same name is given."""

MAX_LENGTH = 10_000
"""Longer expressions are refused (the parse itself must stay cheap)."""

TOO_DEEP = (
    "the expression is nested too deeply for Python's parser: unary operators, powers or "
    "calls nest too far, or a very long sum or product sits inside parentheses "
    "(at the top level a sum or product may have any number of terms)"
)
"""The message for an expression whose syntax tree Python's `ast` cannot build."""

# Left-associative chains that are split into terms when Python's `ast` cannot build the
# whole tree (it counts every term of a chain as one level): sums first, then products.
_CHAIN_LEVELS: tuple[dict[str, type[ast.operator]], ...] = (
    {"+": ast.Add, "-": ast.Sub},
    {"*": ast.Mult, "/": ast.Div, "//": ast.FloorDiv, "%": ast.Mod, "@": ast.MatMult},
)

_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}

# Refused constructs, by the syntax class that makes them, and how the error names them.
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda expressions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "strings",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and' and 'or'",
    ast.IfExp: "conditional expressions",
    ast.Tuple: "tuples",
    ast.List: "lists",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.NamedExpr: "assignment expressions",
    ast.Starred: "starred arguments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "subscripts",
}

_STATEMENTS: dict[type[ast.AST], str] = {
    ast.Import: "import statements",
    ast.ImportFrom: "import statements",
    ast.Assign: "assignments",
    ast.AugAssign: "assignments",
    ast.AnnAssign: "assignments",
    ast.FunctionDef: "function definitions",
    ast.ClassDef: "class definitions",
    ast.Delete: "del statements",
}


class ExpressionError(ValueError):
    """The expression is not valid or uses something outside the whitelist."""


class Expression:
    """A checked expression: its text, the variables it uses, and how to evaluate it."""

    def __init__(self, text: str, tree: ast.expr, names: tuple[str, ...]) -> None:
        self.text = text
        self.names = names  # the variables used, in order of first appearance
        self._tree = tree

    def __repr__(self) -> str:
        return f"Expression({self.text!r}, names={self.names!r})"

    def evaluate(self, values: Mapping[str, Value | float]) -> Value | float:
        """The expression's value, with each variable taken from ``values``.

        Variables given as Values build a graph that can be backpropagated; the
        parts that use only numbers are computed as plain floats.
        """
        missing = [name for name in self.names if name not in values]
        if missing:
            raise ExpressionError(f"name {missing[0]!r} has no value")
        results: list[Any] = []
        stack: list[tuple[ast.expr, bool]] = [(self._tree, False)]
        while stack:  # post-order walk with an explicit stack: any depth works
            node, operands_done = stack.pop()
            if isinstance(node, ast.Constant):
                results.append(float(node.value))  # type: ignore[arg-type]  # an int or float
            elif isinstance(node, ast.Name):
                name = normal_name(node.id)
                results.append(values[name] if name in self.names else CONSTANTS[name])
            elif not operands_done:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(_operands(node)))
            elif isinstance(node, ast.BinOp):
                right = results.pop()
                left = results.pop()
                results.append(_binary(type(node.op), left, right))
            elif isinstance(node, ast.UnaryOp):
                operand = results.pop()
                results.append(-operand if isinstance(node.op, ast.USub) else operand)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                results.append(FUNCTIONS[normal_name(node.func.id)](results.pop()))
        result: Value | float = results.pop()
        return result

    def function(self) -> Callable[..., Any]:
        """The expression as a function of its variables, positionally in `names` order."""

        def f(*args: Value | float) -> Value | float:
            return self.evaluate(dict(zip(self.names, args)))

        f.__name__ = self.text
        return f


def parse(text: str, variables: Collection[str] = ()) -> Expression:
    """Check ``text`` against the whitelist; the names in ``variables`` may appear in it.

    Raises `ExpressionError` with a one-line message naming what was refused.

    >>> parse("2 * sqrt(x) - pi", ["x"]).names
    ('x',)
    >>> parse("y + 1", ["x"])
    Traceback (most recent call last):
    ...
    autograd_mini._parser.ExpressionError: name 'y' has no value; give it one with --at y=NUMBER
    """
    if not isinstance(text, str):
        raise TypeError(f"expression must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long ({len(text)} > {MAX_LENGTH} characters)")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    known = {normal_name(v) for v in variables}
    for name in sorted(known & FUNCTIONS.keys()):
        raise ExpressionError(f"{name!r} is a function; give the variable another name")
    tree = _syntax_tree(text)
    names: list[str] = []
    callees: set[ast.AST] = set()
    for node in ast.walk(tree):  # breadth first: the outermost offence is reported
        if node in callees:
            continue  # a function's name, already checked with its call
        _check_node(node, text, known)
        if isinstance(node, ast.Call):
            callees.add(node.func)
        elif isinstance(node, ast.Name):
            name = normal_name(node.id)
            if name in known and name not in names:
                names.append(name)
    return Expression(text, tree, tuple(names))


def _syntax_tree(text: str) -> ast.expr:
    try:
        return _chain(text.strip(), 0)
    except SyntaxError as error:
        statement = _statement_kind(text.strip())
        if statement:
            raise ExpressionError(f"{statement} are not allowed: give one expression") from None
        where = f" at column {error.offset}" if error.offset else ""
        detail = "" if error.msg == "invalid syntax" else f": {_one_line(error.msg)}"
        raise ExpressionError(f"invalid syntax{where}{detail}") from None
    except ExpressionError:
        raise
    except MemoryError:
        raise ExpressionError(TOO_DEEP) from None
    except ValueError as error:  # e.g. a number literal with too many digits, a NUL byte
        raise ExpressionError(f"invalid expression: {_one_line(str(error))}") from None


def _chain(source: str, level: int) -> ast.expr:
    """The tree of ``source``; when `ast` cannot build it, the tree of a long sum (then
    product) is assembled here from its separately parsed terms, left-associative as
    Python reads it, so only real nesting counts against the parser's depth limit."""
    try:
        return ast.parse(source, mode="eval").body
    except RecursionError:
        if level == len(_CHAIN_LEVELS):
            raise ExpressionError(TOO_DEEP) from None
    terms, operators = _split(source, _CHAIN_LEVELS[level])
    trees = [_shifted(_chain(term, level + 1), line, column) for term, line, column in terms]
    tree = trees[0]
    for operator, right in zip(operators, trees[1:]):
        tree = ast.BinOp(tree, operator(), right)
        tree.lineno, tree.col_offset = trees[0].lineno, trees[0].col_offset
        tree.end_lineno, tree.end_col_offset = right.end_lineno, right.end_col_offset
    return tree


def _split(
    source: str, operators: dict[str, type[ast.operator]]
) -> tuple[list[tuple[str, int, int]], list[type[ast.operator]]]:
    """``source`` cut at its binary ``operators`` outside brackets: the terms, each with
    the line and UTF-8 byte column where it starts, and the operators between them."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    try:
        tokens = [
            token
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type not in (tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER)
            and not (token.type == tokenize.NEWLINE and not token.string)
        ]
    except (tokenize.TokenError, SyntaxError):
        raise ExpressionError("invalid syntax") from None
    terms: list[tuple[str, int, int]] = []
    found: list[type[ast.operator]] = []
    depth, first, previous = 0, 0, None
    for index, token in enumerate(tokens):
        if token.string in ("(", "[", "{"):
            depth += 1
        elif token.string in (")", "]", "}"):
            depth -= 1
        elif depth == 0 and token.string in operators and _ends_operand(previous):
            terms.append(_term(source, tokens[first], tokens[index - 1], starts, lines))
            found.append(operators[token.string])
            first = index + 1
        previous = token
    if first >= len(tokens):
        raise ExpressionError("invalid syntax: the expression ends with an operator")
    terms.append(_term(source, tokens[first], tokens[-1], starts, lines))
    return terms, found


def _ends_operand(token: tokenize.TokenInfo | None) -> bool:
    """Whether an operator after ``token`` is binary (``x - 1``) rather than unary (``* -1``)."""
    if token is None:
        return False
    if token.type == tokenize.NAME:
        return not keyword.iskeyword(token.string)
    return token.type in (tokenize.NUMBER, tokenize.STRING) or token.string in (")", "]", "}")


def _term(
    source: str,
    first: tokenize.TokenInfo,
    last: tokenize.TokenInfo,
    starts: list[int],
    lines: list[str],
) -> tuple[str, int, int]:
    """The text from ``first`` to ``last``, with its line and UTF-8 byte column."""
    (line, column), (end_line, end_column) = first.start, last.end
    text = source[starts[line - 1] + column : starts[end_line - 1] + end_column]
    return text, line, len(lines[line - 1][:column].encode("utf-8"))


def _shifted(tree: ast.expr, line: int, column: int) -> ast.expr:
    """``tree``, parsed from a term that starts at ``line`` and byte ``column`` of the
    whole text, with its positions made to point into the whole text."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.expr, ast.keyword)):
            if node.lineno == 1:
                node.col_offset += column
            if node.end_lineno == 1 and node.end_col_offset is not None:
                node.end_col_offset += column
            node.lineno += line - 1
            if node.end_lineno is not None:
                node.end_lineno += line - 1
    return tree


def _statement_kind(text: str) -> str | None:
    """What kind of statement ``text`` is, if Python reads it as statements."""
    try:
        module = ast.parse(text, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for statement in module.body:
        for kind, name in _STATEMENTS.items():
            if isinstance(statement, kind):
                return name
    if len(module.body) > 1:
        return "several statements"
    return "statements" if module.body else None


def _check_node(node: ast.AST, text: str, known: set[str]) -> None:
    if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Load, ast.Name, ast.Call)):
        pass  # checked below, or (the Load context) harmless
    elif isinstance(node, (ast.operator, ast.unaryop)):
        return  # judged with their BinOp or UnaryOp
    elif isinstance(node, ast.Constant):
        _check_constant(node, text)
        return
    else:
        what = _REFUSED.get(type(node), f"'{type(node).__name__}' expressions")
        verb = "is" if what in ("attribute access", "await", "yield") else "are"
        raise ExpressionError(f"{what} {verb} not allowed: {_source(node, text)}")
    if isinstance(node, ast.BinOp) and type(node.op) not in _OPERATORS:
        symbol = _source_operator(node, text)
        raise ExpressionError(
            f"the operator {symbol} is not allowed (use + - * / **): {_source(node, text)}"
        )
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, (ast.USub, ast.UAdd)):
        symbol = "'not'" if isinstance(node.op, ast.Not) else "'~'"
        raise ExpressionError(f"the operator {symbol} is not allowed: {_source(node, text)}")
    if isinstance(node, ast.Name):
        _check_name(node, text, known)
    if isinstance(node, ast.Call):
        _check_call(node, text)


def _check_constant(node: ast.Constant, text: str) -> None:
    value = node.value
    if isinstance(value, (str, bytes)):
        raise ExpressionError(f"strings are not allowed: {_source(node, text)}")
    if isinstance(value, bool) or value is None or value is Ellipsis:
        raise ExpressionError(f"only numbers are allowed as constants, not {value!r}")
    if isinstance(value, complex):
        raise ExpressionError(f"complex numbers are not allowed: {_source(node, text)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf  # an integer literal beyond the largest float
    if not math.isfinite(number):
        raise ExpressionError(
            f"the number {_source(node, text)} is too large (beyond the largest float, "
            f"about 1.8e308); numbers must be finite"
        )


def _check_name(node: ast.Name, text: str, known: set[str]) -> None:
    name = normal_name(node.id)
    if name in known or name in CONSTANTS:
        return
    if name in FUNCTIONS:
        raise ExpressionError(f"the function {name!r} must be called, as in {name}(x)")
    raise ExpressionError(f"name {name!r} has no value; give it one with --at {name}=NUMBER")


def _check_call(node: ast.Call, text: str) -> None:
    if not isinstance(node.func, ast.Name):
        raise ExpressionError(
            f"only the functions {', '.join(FUNCTIONS)} may be called: {_source(node, text)}"
        )
    name = normal_name(node.func.id)
    if name not in FUNCTIONS:
        raise ExpressionError(
            f"unknown function {name!r}; the functions are {', '.join(FUNCTIONS)}"
        )
    if node.keywords:
        raise ExpressionError(f"keyword arguments are not allowed: {_source(node, text)}")
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        raise ExpressionError(f"starred arguments are not allowed: {_source(node, text)}")
    if len(node.args) != 1:
        raise ExpressionError(
            f"{name} takes exactly one argument, got {len(node.args)}: {_source(node, text)}"
        )


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _binary(op: type[ast.operator], left: Any, right: Any) -> Any:
    """One arithmetic step. Two plain numbers go through a Value too, so errors such as
    division by zero read the same as the engine's."""
    if not isinstance(left, Value) and not isinstance(right, Value):
        return _binary(op, Value(left), right).data
    if op is ast.Add:
        return left + right
    if op is ast.Sub:
        return left - right
    if op is ast.Mult:
        return left * right
    if op is ast.Div:
        return left / right
    return left**right


def normal_name(name: str) -> str:
    """Names as Python reads them (NFKC), so ``--at ﬁ=1`` matches the identifier ``fi``."""
    return unicodedata.normalize("NFKC", name)


def _source(node: ast.AST, text: str) -> str:
    segment = ast.get_source_segment(text.strip(), node) or type(node).__name__
    return repr(segment if len(segment) <= 60 else segment[:57] + "...")


def _source_operator(node: ast.BinOp, text: str) -> str:
    symbols = {
        ast.Mod: "%",
        ast.FloorDiv: "//",
        ast.MatMult: "@",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.BitAnd: "&",
    }
    return repr(symbols.get(type(node.op), type(node.op).__name__))


def _one_line(message: str) -> str:
    """Whitespace collapsed, and cut at 120 characters: error messages stay on one line."""
    line = " ".join(message.split())
    return line if len(line) <= 120 else line[:117] + "..."
