"""The documentation's diagrams: their source, and the SVG files drawn from it.

The pages show committed SVG files (``docs/diagrams/*.svg``), which render offline and behind
any proxy; no diagram is drawn in the browser by a script from a CDN. The diagrams are described
below as plain data and drawn by this module, with no dependency. After changing one, redraw
them all (``tests/test_docs_diagrams.py`` fails while a file differs from its source)::

    python -m docs.diagrams.render
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent

FONT = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
FONT_SIZE = 13
#: A generous average glyph width at FONT_SIZE, so that no label overflows its box.
CHAR_WIDTH = 7.2
LINE_HEIGHT = 16
#: The widest a label may be before it wraps onto another line.
MAX_LABEL = 250

INK = "#263238"
BOX_FILL = "#e0f2f1"
BOX_STROKE = "#00897b"
FRAME_STROKE = "#90a4ae"
TAB_FILL = "#eceff1"
NOTE_FILL = "#fff8e1"
NOTE_STROKE = "#ffb300"


def text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def wrap(text: str, width: float = MAX_LABEL) -> list[str]:
    return textwrap.wrap(text, max(1, int(width / CHAR_WIDTH))) or [""]


def svg_text(x: float, y: float, text: str, anchor: str = "middle", **style: str) -> str:
    attributes = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in style.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{attributes}>{escape(text)}</text>'


def document(width: float, height: float, title: str, body: Sequence[str]) -> str:
    """A standalone SVG on a white card, so that it reads on the light and the dark theme."""
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" font-family="{FONT}" '
            f'font-size="{FONT_SIZE}" fill="{INK}">',
            f"<title>{escape(title)}</title>",
            "<!-- Drawn by docs/diagrams/render.py from the source there; do not edit. -->",
            "<defs>",
            '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
            f'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{INK}"/></marker>',
            "</defs>",
            f'<rect width="{width:.0f}" height="{height:.0f}" rx="8" fill="#ffffff"/>',
            *body,
            "</svg>",
            "",
        ]
    )


# -- sequence diagrams ---------------------------------------------------------------------------


@dataclass
class Message:
    source: str
    target: str
    text: str
    #: A reply (a dashed arrow), as opposed to a call or an event.
    reply: bool = False


@dataclass
class Note:
    over: str
    text: str


@dataclass
class Block:
    """``par``, ``alt`` or ``loop``: sections of steps, each with its condition."""

    kind: str
    sections: list[tuple[str, list[Step]]]


Step = Message | Note | Block


@dataclass
class SequenceDiagram:
    title: str
    participants: list[tuple[str, str]]  # (id, label)
    steps: list[Step]
    gaps: list[float] = field(default_factory=list)


def involved(steps: Sequence[Step]) -> set[str]:
    found: set[str] = set()
    for step in steps:
        if isinstance(step, Message):
            found |= {step.source, step.target}
        elif isinstance(step, Note):
            found.add(step.over)
        else:
            for _, inner in step.sections:
                found |= involved(inner)
    return found


def draw_sequence(diagram: SequenceDiagram) -> str:
    ids = [pid for pid, _ in diagram.participants]
    index = {pid: i for i, pid in enumerate(ids)}
    box_widths = [max(110.0, text_width(label) + 28) for _, label in diagram.participants]
    gaps = [(box_widths[i] + box_widths[i + 1]) / 2 + 24 for i in range(len(ids) - 1)]

    def widen(first: int, last: int, need: float) -> None:
        """Make the lifelines first..last at least ``need`` apart, spreading what is missing."""
        if first == last:
            return
        have = sum(gaps[first:last])
        if have < need:
            for i in range(first, last):
                gaps[i] += (need - have) / (last - first)

    def constrain(steps: Sequence[Step], depth: int) -> None:
        for step in steps:
            if isinstance(step, Message):
                a, b = sorted((index[step.source], index[step.target]))
                width = max(text_width(line) for line in wrap(step.text))
                widen(a, b, width + 24)
            elif isinstance(step, Block):
                span = sorted(index[pid] for pid in involved([step]))
                for condition, inner in step.sections:
                    lines = wrap(f"[{condition}]")
                    label = text_width(step.kind) + max(map(text_width, lines)) + 40
                    widen(span[0], span[-1], label - 2 * frame_pad(depth))
                    constrain(inner, depth + 1)

    def frame_pad(depth: int) -> float:
        return 44.0 - 10 * depth

    constrain(diagram.steps, 0)
    margin = max(box_widths[0] / 2, frame_pad(0)) + 16
    xs = [margin]
    for gap in gaps:
        xs.append(xs[-1] + gap)
    width = xs[-1] + max(box_widths[-1] / 2, frame_pad(0)) + 16

    body: list[str] = []
    top, box_height = 16.0, 36.0
    y = top + box_height + 18

    def message(step: Message) -> None:
        nonlocal y
        lines = wrap(step.text)
        for n, line in enumerate(lines):
            body.append(
                svg_text(
                    (xs[index[step.source]] + xs[index[step.target]]) / 2,
                    y + 12 + n * LINE_HEIGHT,
                    line,
                )
            )
        y += len(lines) * LINE_HEIGHT + 6
        x1, x2 = xs[index[step.source]], xs[index[step.target]]
        dash = ' stroke-dasharray="6 4"' if step.reply else ""
        body.append(
            f'<line x1="{x1:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y:.1f}" stroke="{INK}" '
            f'stroke-width="1.4"{dash} marker-end="url(#arrow)"/>'
        )
        y += 14

    def note(step: Note, depth: int) -> None:
        nonlocal y
        lines = wrap(step.text, 200)
        w = max(text_width(line) for line in lines) + 20
        h = len(lines) * LINE_HEIGHT + 12
        # Over its lifeline, but inside the frames around it and the picture.
        inside = xs[0] - frame_pad(depth - 1) + 8 + w / 2 if depth else 8 + w / 2
        x = max(xs[index[step.over]], inside)
        body.append(
            f'<rect x="{x - w / 2:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{NOTE_FILL}" stroke="{NOTE_STROKE}"/>'
        )
        for n, line in enumerate(lines):
            body.append(svg_text(x, y + 18 + n * LINE_HEIGHT, line))
        y += h + 10

    def block(step: Block, depth: int) -> None:
        nonlocal y
        span = sorted(index[pid] for pid in involved([step]))
        left, right = xs[span[0]] - frame_pad(depth), xs[span[-1]] + frame_pad(depth)
        frame_top = y
        frame: list[str] = []
        tab = text_width(step.kind) + 14
        for number, (condition, inner) in enumerate(step.sections):
            if number:
                frame.append(
                    f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" '
                    f'stroke="{FRAME_STROKE}" stroke-dasharray="5 4"/>'
                )
            else:
                frame.append(
                    f'<path d="M{left:.1f},{y:.1f} h{tab:.1f} v12 l-6,7 h-{tab - 6:.1f} z" '
                    f'fill="{TAB_FILL}" stroke="{FRAME_STROKE}"/>'
                )
                frame.append(svg_text(left + tab / 2 - 2, y + 14, step.kind, font_weight="bold"))
            lines = wrap(f"[{condition}]", max(MAX_LABEL, right - left - tab - 24))
            for n, line in enumerate(lines):
                frame.append(
                    svg_text(
                        left + tab + 8, y + 14 + n * LINE_HEIGHT, line, "start", font_style="italic"
                    )
                )
            y += 26 + (len(lines) - 1) * LINE_HEIGHT
            steps(inner, depth + 1)
        y += 4
        body.append(
            f'<rect x="{left:.1f}" y="{frame_top:.1f}" width="{right - left:.1f}" '
            f'height="{y - frame_top:.1f}" fill="none" stroke="{FRAME_STROKE}"/>'
        )
        body.extend(frame)
        y += 10

    def steps(items: Sequence[Step], depth: int) -> None:
        for step in items:
            if isinstance(step, Message):
                message(step)
            elif isinstance(step, Note):
                note(step, depth)
            else:
                block(step, depth)

    steps(diagram.steps, 0)
    bottom = y + 6
    lifelines = [
        f'<line x1="{x:.1f}" y1="{top + box_height:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
        f'stroke="{FRAME_STROKE}" stroke-dasharray="2 3"/>'
        for x in xs
    ]
    boxes = []
    for x, w, (_, label) in zip(xs, box_widths, diagram.participants, strict=True):
        boxes.append(
            f'<rect x="{x - w / 2:.1f}" y="{top:.1f}" width="{w:.1f}" height="{box_height:.1f}" '
            f'rx="4" fill="{BOX_FILL}" stroke="{BOX_STROKE}"/>'
        )
        boxes.append(svg_text(x, top + 23, label, font_weight="bold"))
    return document(width, bottom + 10, diagram.title, [*lifelines, *boxes, *body])


# -- graphs --------------------------------------------------------------------------------------


@dataclass
class Graph:
    title: str
    #: id -> (label, column, row); rows may be fractional, to centre a node between others.
    nodes: dict[str, tuple[str, int, float]]
    edges: list[tuple[str, str]]


def draw_graph(graph: Graph) -> str:
    row_height, column_gap, box_height = 64.0, 64.0, 36.0
    widths = {key: text_width(label) + 28 for key, (label, _, _) in graph.nodes.items()}
    columns = sorted({column for _, column, _ in graph.nodes.values()})
    column_width = {
        c: max(widths[k] for k, (_, col, _) in graph.nodes.items() if col == c) for c in columns
    }
    lefts = {}
    x = 16.0
    for c in columns:
        lefts[c] = x
        x += column_width[c] + column_gap
    width = x - column_gap + 16
    height = max(row for _, _, row in graph.nodes.values()) * row_height + box_height + 32

    def box(key: str) -> tuple[float, float, float]:
        """Left, right and vertical centre of a node, centred in its column."""
        _, column, row = graph.nodes[key]
        left = lefts[column] + (column_width[column] - widths[key]) / 2
        return left, left + widths[key], 16 + row * row_height + box_height / 2

    body = []
    incoming = {key: [t for _, t in graph.edges].count(key) for key in graph.nodes}
    arrived = dict.fromkeys(graph.nodes, 0)
    for source, target in graph.edges:
        _, x1, y1 = box(source)
        x2, _, y2 = box(target)
        # Several arrows into one node arrive side by side, not at one point.
        y2 += (arrived[target] - (incoming[target] - 1) / 2) * 12
        arrived[target] += 1
        body.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2 - 2:.1f}" y2="{y2:.1f}" stroke="{INK}" '
            f'stroke-width="1.4" marker-end="url(#arrow)"/>'
        )
    for key, (label, _, _) in graph.nodes.items():
        left, right, middle = box(key)
        body.append(
            f'<rect x="{left:.1f}" y="{middle - box_height / 2:.1f}" width="{right - left:.1f}" '
            f'height="{box_height:.1f}" rx="4" fill="{BOX_FILL}" stroke="{BOX_STROKE}"/>'
        )
        body.append(svg_text((left + right) / 2, middle + 4.5, label))
    return document(width, height, graph.title, body)


# -- the diagrams --------------------------------------------------------------------------------

LIFESPAN = SequenceDiagram(
    title="The lifespan of one server process: startup, requests, shutdown, and a failed startup",
    participants=[
        ("S", "ASGI server"),
        ("A", "LifespanApplication"),
        ("R", "Runtime"),
        ("X", "Resources"),
        ("D", "Django"),
    ],
    steps=[
        Message("S", "A", "lifespan scope, lifespan.startup"),
        Message("A", "R", "start()"),
        Block(
            "par",
            [
                ("independent resources", [Message("R", "X", "open db_pool")]),
                ("and", [Message("R", "X", "open http_client")]),
            ],
        ),
        Message("R", "X", "open repository (depends on db_pool)"),
        Block(
            "alt",
            [
                (
                    "every start succeeds within STARTUP_TIMEOUT",
                    [
                        Message("R", "A", "state", reply=True),
                        Message("A", "S", "lifespan.startup.complete"),
                        Block(
                            "loop",
                            [
                                (
                                    "every request",
                                    [
                                        Message(
                                            "S", "A", "http scope, with a shallow copy of the state"
                                        ),
                                        Message("A", "D", "the request, unchanged"),
                                        Message("D", "S", "the response", reply=True),
                                    ],
                                )
                            ],
                        ),
                        Message("S", "A", "lifespan.shutdown"),
                        Message("A", "R", "stop()"),
                        Message("R", "X", "close repository, then http_client, then db_pool"),
                        Block(
                            "alt",
                            [
                                (
                                    "every shutdown succeeds",
                                    [Message("A", "S", "lifespan.shutdown.complete")],
                                ),
                                (
                                    "some shutdowns fail or time out (all the others still run)",
                                    [
                                        Message(
                                            "A",
                                            "S",
                                            "lifespan.shutdown.failed, naming each failure",
                                        )
                                    ],
                                ),
                            ],
                        ),
                    ],
                ),
                (
                    "a start fails or times out",
                    [
                        Message("R", "X", "cancel the starts in progress"),
                        Message("R", "X", "close what had started, in reverse"),
                        Message("R", "A", "StartupError naming the culprit", reply=True),
                        Message("A", "S", "lifespan.startup.failed, with the traceback"),
                        Note("S", "the server stops instead of serving without resources"),
                    ],
                ),
            ],
        ),
    ],
)

RESOURCE_GRAPH = Graph(
    title="The example's resources: each arrow points from a resource to one that needs it",
    nodes={
        "http_client": ("Container.http_client", 0, 0),
        "database": ("Container.storage.database", 0, 1),
        "session": ("Container.session", 1, 0),
        "managers": ("lifespan managers, in registration order", 2, 0.5),
    },
    edges=[
        ("http_client", "session"),
        ("session", "managers"),
        ("database", "managers"),
    ],
)

#: Each diagram's file (next to this module) and how it is drawn.
DIAGRAMS: dict[str, Callable[[], str]] = {
    "lifespan.svg": lambda: draw_sequence(LIFESPAN),
    "resource-graph.svg": lambda: draw_graph(RESOURCE_GRAPH),
}


def main() -> None:
    for name, draw in DIAGRAMS.items():
        (HERE / name).write_text(draw(), encoding="utf-8")
        print(f"wrote docs/diagrams/{name}")


if __name__ == "__main__":
    main()
