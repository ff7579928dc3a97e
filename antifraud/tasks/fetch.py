"""The one module of `antifraud.tasks` that reads the analytic database (through
`queries.run` and the measures, hot-spot and ranking modules); everything else is pure.

    checks(tasks, is_complete)          the automatic check of every task with a linked measure
    suggestions(period, filters)        this period's suggested tasks
    review(period, filters, ...)        tasks, checks and names for the wall slide and the briefing
    wall_summary(period, ...)           present.wall_summary over `review`
    briefing_section(period, ...)       present.briefing_section over `review`

`is_complete(period) -> bool` says whether the data covers a period whole; by default it is
read from `data_status` (measures.data_span), and a caller that already knows (the page's
`ctx.span`, the briefing's) passes its own.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

import pandas as pd

import queries
from antifraud import clock, config, hotspots, measures, periods
from antifraud.measures import Filters
from antifraud.periods import Period
from antifraud.tasks import check as checking, present, suggest
from antifraud.tasks import store as task_store
from antifraud.tasks.model import Task

Completeness = Callable[[Period], bool]


def names() -> dict[str, str]:
    return present.district_names(queries.run("units"))


def data_completeness() -> Completeness:
    """Whether the data covers a period whole, as every page and the briefing judge it."""
    span = measures.data_span()
    return lambda period: span.of(period) == periods.COMPLETE


# ---------------------------------------------------------------- checks

def _span(p: Period) -> tuple[dt.date, dt.date]:
    return p.start, p.end


def _sum(frame: pd.DataFrame, bureaus: tuple[str, ...]) -> pd.Series:
    rows = frame[frame.index.isin(bureaus)]
    return rows[[c for c in rows.columns if c not in ("bureau_name", "district_name")]].sum(numeric_only=True)


def checks(tasks: list[Task], is_complete: Completeness | None = None,
           dispersion: dict[str, float] | None = None) -> dict[int, checking.Check]:
    """Task id -> Check, for every task with a linked measure (one read per kind of measure).

    A verdict is final only once the data covers the due period whole (DataSpan: "is this
    final?" is answered from the data, never from today's date). Without `dispersion` each
    check is widened by its bureau's own week-to-week dispersion of the metric (the largest of
    a task's bureaus), as every calibrated test is (docs/significance.md).
    """
    is_complete = is_complete or data_completeness()
    given = dispersion
    out: dict[int, checking.Check] = {}
    metric_tasks = [t for t in tasks if t.target and t.target.kind == "metric"]
    place_tasks = [t for t in tasks if t.target and t.target.kind == "place"]
    id_tasks = [t for t in tasks if t.target and t.target.kind == "ids"]

    if metric_tasks:
        spans = sorted({s for t in metric_tasks for s in (_span(t.due), _span(t.due.prev()))})
        names_needed = sorted({t.target.metric for t in metric_tasks})
        frames = dict(zip(spans, measures.by_bureau_windows(spans, Filters(), measures.sources_for(names_needed))))
        spread = _bureau_dispersion(metric_tasks) if given is None else None
        for t in metric_tasks:
            now = _sum(frames[_span(t.due)], t.bureaus)
            before = _sum(frames[_span(t.due.prev())], t.bureaus)
            phi = given.get(t.target.metric, 1.0) if given is not None else spread(t, t.target.metric)
            out[t.id] = checking.metric_check(t.target, now, before, is_complete(t.due), phi)

    if place_tasks:
        first = min(t.due.prev().start for t in place_tasks)
        last = max(t.due.end_exclusive for t in place_tasks)
        places = queries.run("area_weekly_places", start=periods.week_of(first).start, end=last,
                             bureaus=sorted({b for t in place_tasks for b in t.bureaus}), types=[])
        if not places.empty:
            places = places.assign(week_start=pd.to_datetime(places["week_start"]).dt.date)
        for t in place_tasks:
            out[t.id] = checking.place_check(t.target, _place_cases(places, t, t.due),
                                             _place_cases(places, t, t.due.prev()), _weeks(t.due),
                                             is_complete(t.due), (given or {}).get("cases", 1.0))

    if id_tasks:
        found = queries.run("task_items", ids=sorted({i for t in id_tasks for i in t.target.ids}))
        answered = {str(r.item_id): bool(r.answered) for r in found.itertuples(index=False)}
        for t in id_tasks:
            mine = {i: answered[i] for i in t.target.ids if i in answered}
            out[t.id] = checking.ids_check(t.target, mine, is_complete(t.due))
    return out


def _bureau_dispersion(tasks: list[Task]):
    """(task, metric) -> φ: each bureau's own dispersion from the weekly history before the task's
    due period (measures.period_figures, one read per due period), the largest of its bureaus."""
    figures = {due: measures.period_figures(due, Filters(), medians=False) for due in {t.due for t in tasks}}

    def spread(task: Task, metric: str) -> float:
        per_bureau = figures[task.due].bureau_dispersion(metric)
        return max([per_bureau.get(b, 1.0) for b in task.bureaus] or [1.0], key=float)
    return spread


def _weeks(p: Period) -> int:
    """Weeks starting inside the period: area_weekly counts by the Monday a week starts on."""
    monday = p.start + dt.timedelta(days=(7 - p.start.weekday()) % 7)
    return max(1, (p.end - monday).days // 7 + 1) if monday <= p.end else 1


def _place_cases(places: pd.DataFrame, task: Task, p: Period) -> int:
    if places.empty:
        return 0
    f = places[(places["week_start"] >= p.start) & (places["week_start"] <= p.end)
               & places["bureau_id"].isin(task.bureaus)
               & (places[task.target.level].fillna("").astype(str) == task.target.place)]
    return int(f["cases"].sum())


# ---------------------------------------------------------------- suggestions

def _hot_week(period: Period) -> Period:
    """The week the hot-spot test looks at: the period's own, or a month's last full week."""
    if period.kind == "week":
        return period
    week = periods.week_of(period.end)
    return week if week.end <= period.end else week.prev()


def suggestions(period: Period, filters: Filters = Filters(),
                span: periods.DataSpan | None = None) -> list[suggest.Suggestion]:
    """This period's suggestions for the chosen bureaus (all when none chosen). The fraud-type
    filter is not applied: a task is about a bureau's whole work, not one type. Nothing is
    suggested from a period that is not complete (its changes are not judged)."""
    from antifraud import ranking
    from antifraud.config import UsageError
    from antifraud.views import areas as area_views
    span = span or measures.data_span()
    if span.of(period) != periods.COMPLETE:
        return []
    who = names()
    chosen = set(filters.bureaus)
    city = Filters()
    figures = measures.period_figures(period, city, span, medians=False)
    now, before = figures.frames["now"], figures.frames["prev"]
    spread = {name: figures.bureau_dispersion(name) for name in suggest.CHANGE_METRICS}
    groups = [suggest.adverse_changes(now, before, who, period, lambda m, b: spread[m].get(b, 1.0))]

    week = _hot_week(period)
    first, end = area_views.places_window(period, hotspots.history_weeks())
    places = queries.run("area_weekly_places", start=first, end=end, bureaus=[], types=[])
    hot = hotspots.emerging(places, week.start, covered=area_views.week_covered(span))
    groups.append(suggest.emerging_places(hot, who, period))

    overdue = queries.run("overdue_warnings", start=period.start, end=period.end_exclusive, bureaus=[], types=[])
    groups.append(suggest.most_overdue_high(overdue, who, period,
                                            float(config.setting("tasks.overdue_target", suggest.OVERDUE_TARGET))))
    try:
        ranked = ranking.rank_period(period, city)
    except UsageError:
        ranked = None                  # a broken [ranking] section is said on the ranking page
    groups.append(suggest.confident_bottom(ranked, now, who, period))
    found = suggest.combine(*groups)
    return [s for s in found if not chosen or s.bureau_id in chosen]


# ---------------------------------------------------------------- wall and briefing

def review(period: Period, filters: Filters = Filters(), is_complete: Completeness | None = None,
           store: task_store.TaskStore | None = None, today: dt.date | None = None,
           dispersion: dict[str, float] | None = None):
    """(tasks, checks, names): the tasks of the chosen bureaus (all when none chosen) and the
    checks of those the meeting on `period` reviews or sets. No store file: no tasks (a report
    never creates one)."""
    store = store or task_store.default()
    today = today or clock.today()
    tasks = store.tasks(bureaus=filters.bureaus or None) if store.exists() else []
    wanted = {t.id for t in present.due_in(tasks, period) + present.set_in(tasks, period)
              + present.still_open_before(tasks, period, today)}
    return tasks, checks([t for t in tasks if t.id in wanted], is_complete, dispersion), names()


def wall_summary(period: Period, filters: Filters = Filters(), is_complete: Completeness | None = None,
                 store: task_store.TaskStore | None = None, today: dt.date | None = None):
    tasks, found, who = review(period, filters, is_complete, store, today)
    return present.wall_summary(tasks, period, found, who, today)


def briefing_section(period: Period, filters: Filters = Filters(), is_complete: Completeness | None = None,
                     store: task_store.TaskStore | None = None, today: dt.date | None = None) -> present.Section:
    tasks, found, who = review(period, filters, is_complete, store, today)
    return present.briefing_section(tasks, period, found, who, today)
