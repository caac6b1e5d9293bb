"""The site's navigation and the panels of the home pages, which each app supplies for itself.

An app registers, in its `AppConfig.ready`, the items it adds to the navigation and the panels it adds to the home
pages; the platform collects them for each request without knowing any app's pages. Each is asked about the
person's memberships (loaded once per request by the session policy), so the navigation costs no queries.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    # The item's place in the bar, shared by every app: lower first.
    order: int
    # The item's address for a person with these memberships, or None when it is not theirs.
    url: Callable[[list], str | None]


@dataclass(frozen=True)
class HomePanel:
    template: str
    order: int
    # Whether the home page of this main membership shows the panel.
    shown: Callable[[object], bool]
    # What the panel's template needs, from the request and the main membership (its queries, recorded as its app
    # records reads); none when the template needs only what every page has.
    context: Callable[[object, object], dict] | None = None


_items: dict[str, NavItem] = {}
_panels: dict[str, HomePanel] = {}
_extras: list[Callable] = []


def nav_register(*items: NavItem) -> None:
    for item in items:
        _items[item.label] = item


def panel_register(panel: HomePanel) -> None:
    _panels[panel.template] = panel


def extra_register(extra: Callable) -> None:
    """`extra(request, memberships)` returns more for every page's context, such as a count of unread messages."""
    if extra not in _extras:
        _extras.append(extra)


def nav_items(memberships, *, path: str) -> list[dict]:
    """The items for a person with `memberships`, in order, the one for the page at `path` marked current."""
    items = []
    for item in sorted(_items.values(), key=lambda item: item.order):
        url = item.url(memberships)
        if url is not None:
            current = path == url or (url != "/" and path.startswith(url))
            items.append({"label": item.label, "url": url, "current": current})
    return items


def home_panels(main) -> tuple[list[str], list[str]]:
    """The templates of the panels the home page of `main` (the person's main membership) shows, in order: those
    of a negative order above the role's own text, the rest below it."""
    shown = _shown(main)
    return [p.template for p in shown if p.order < 0], [p.template for p in shown if p.order >= 0]


def home_panels_context(request, main) -> dict:
    """What the panels the home page of `main` shows need, gathered from each."""
    context = {}
    for panel in _shown(main):
        if panel.context is not None:
            context.update(panel.context(request, main))
    return context


def _shown(main) -> list[HomePanel]:
    return [panel for panel in sorted(_panels.values(), key=lambda p: p.order) if panel.shown(main)]


def nav_extras(request, memberships) -> dict:
    context = {}
    for extra in _extras:
        context.update(extra(request, memberships))
    return context
