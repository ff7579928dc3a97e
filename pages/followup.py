"""督办: the meeting's follow-up tasks — suggested by the data, set by the chair, answered by the
bureaus, checked against the data at the next meeting. Layout only: the rules are in
antifraud/tasks (actions, present, fetch), the records in its SQLite store."""
import logging

import streamlit as st

import queries
from antifraud import access, clock, periods, texts, ui, widgets, wall as wall_mode
from antifraud.measures import Filters
from antifraud.tasks import actions, fetch, present, roles, suggest
from antifraud.tasks import store as task_store
from antifraud.tasks.model import CLOSING, OPEN, STATUSES, Task, default_due

log = logging.getLogger("antifraud.tasks")
ctx = ui.frame("督办")
period = ctx.period
today = clock.today()
# tasks are set at weekly meetings; a month view files new ones under the month's last week
meeting = period.key if period.kind == "week" else periods.week_of(period.end).key
names = present.district_names(ctx.units)
bureau_of = {d: b for b, d in names.items()}
who = ctx.user
rights = roles.rights(who, bureau_of)
store = task_store.default()


def is_complete(p: periods.Period) -> bool:
    return ctx.span.of(p) == periods.COMPLETE


try:
    tasks = store.tasks(bureaus=ctx.filters.bureaus or None)
except task_store.StoreError as exc:
    st.error(str(exc))
    st.stop()
relevant = {t.id for t in present.due_in(tasks, period) + present.set_in(tasks, period)
            + present.still_open_before(tasks, period, today)}


def checks_for(chosen: list[Task]) -> dict:
    try:
        return fetch.checks(chosen, is_complete)
    except Exception:  # noqa: BLE001 - the tasks still show; only the figures are missing
        log.exception("tasks: checks failed")
        st.warning("自动检查暂时无法计算（详情已记入日志），督办事项照常显示。")
        return {}


if ctx.wall:
    found = checks_for([t for t in tasks if t.id in relevant])
    line, rows = present.wall_summary(tasks, period, found, names, today)
    left = rows.attrs.get("left_out", 0)
    st.html(wall_mode.table_html(rows, title=line, testid="wallTasks", wrap=("督办事项", "检查"), hot=("状态",),
                                 size="1.3rem", more=f"另有{left}项见督办页面。" if left else None,
                                 empty="没有未办结的督办事项。"))
    st.stop()


# ---------------------------------------------------------------- callbacks (run before the rerun)

def _flash(outcome: actions.Outcome) -> None:
    st.session_state["_tasks_flash"] = (outcome.ok, outcome.message)


def _forget(prefix: str) -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def _draft(s: suggest.Suggestion) -> None:
    _forget("tn_")
    st.session_state.update(actions.form_values(suggest.to_draft(s, meeting), names, "tn_"))
    _flash(actions.Outcome(True, "已生成草稿：请在“新建督办事项”中核对、修改后保存。"))


def _create() -> None:
    out = actions.create(st.session_state, store, who, rights, meeting, bureau_of, names)
    _flash(out)
    if out.ok:
        _forget("tn_")
        st.session_state["task_pick"] = out.task_id


def _edit(task_id: int, version: int, prefix: str) -> None:
    out = actions.edit(task_id, version, st.session_state, store, who, rights, bureau_of, names, prefix)
    _flash(out)
    if out.ok:
        _forget(prefix)


def _feedback(task_id: int) -> None:
    key = f"tf_{task_id}_text"
    out = actions.feedback(task_id, st.session_state.get(key, ""), store, who, rights)
    _flash(out)
    if out.ok:
        _forget(key)


def _close(task_id: int, version: int) -> None:
    p = f"tc_{task_id}_{version}_"
    _flash(actions.close(task_id, version, st.session_state.get(p + "outcome", CLOSING[0]),
                         st.session_state.get(p + "note", ""), store, who, rights))


def _withdraw(task_id: int, version: int) -> None:
    p = f"tw_{task_id}_{version}_"
    _flash(actions.withdraw(task_id, version, st.session_state.get(p + "reason", ""), store, who, rights))


# ---------------------------------------------------------------- layout

st.caption(rights.summary)
if "_tasks_flash" in st.session_state:
    ok, message = st.session_state.pop("_tasks_flash")
    (st.success if ok else st.error)(texts.plain(message, 400))     # may quote what was typed: never markdown


def target_fields(prefix: str) -> None:
    """The linked measure's fields; only those of the chosen kind are shown."""
    kind = st.selectbox("关联指标", actions.TARGET_KINDS, key=prefix + "kind")
    if kind == actions.METRIC:
        a, b, c = st.columns([3, 1, 2])
        a.selectbox("指标（该区县、期限内）", list(actions.metric_labels()), key=prefix + "metric")
        b.selectbox("方向", ["≤", "≥"], key=prefix + "op")
        c.number_input("目标值（比率填百分数，金额填元）", key=prefix + "value", step=1.0, format="%.2f")
    elif kind == actions.PLACE:
        a, b, c = st.columns([1, 2, 2])
        a.selectbox("层级", list(actions.LEVEL_OF), key=prefix + "level")
        b.text_input("乡镇街道或派出所名称", key=prefix + "place")
        c.number_input("基准：每周发案数（期限内不超过）", key=prefix + "baseline", step=0.5, format="%.1f")
    elif kind == actions.IDS:
        st.text_area("预警或案件编号（逗号、空格或换行分隔）", key=prefix + "ids", height=80)


@st.cache_data(ttl=900, max_entries=64, show_spinner=False)
def cached_suggestions(period_key: str, bureaus: tuple[str, ...], stamp: tuple) -> list[suggest.Suggestion]:
    # the ranking's resampling makes this the page's one costly read; it changes only with the data
    return fetch.suggestions(periods.parse(period_key), Filters(bureaus=bureaus))


def defaults(values: dict) -> None:
    for k, v in values.items():
        st.session_state.setdefault(k, v)


if rights.manage:
    st.markdown(f"**数据建议的督办事项（{texts.plain(period.label)}）**")
    try:
        found_suggestions = suggest.fresh(cached_suggestions(period.key, ctx.filters.bureaus, queries.stamp()),
                                          tasks, meeting)
    except Exception:  # noqa: BLE001 - suggestions are a help, never a reason for the page to fail
        log.exception("tasks: suggestions failed")
        found_suggestions = None
        st.warning("本期建议暂时无法生成（详情已记入日志）；仍可手工新建督办事项。")
    if found_suggestions == []:
        st.caption("本期数据没有需要督办的显著问题（或建议已全部转为督办事项）。")
    for i, s in enumerate(found_suggestions or []):
        left, right = st.columns([6, 1], vertical_alignment="center")
        left.markdown(f"{suggest.KIND_LABEL[s.kind]}：{texts.plain(s.reason, 200)}"
                      + (f" · 建议目标：{texts.plain(present.target_text(s.target), 100)}" if s.target else ""))
        right.button("生成草稿", key=f"suggest_{i}_{s.kind}_{s.bureau_id}", on_click=_draft, args=(s,))

    with st.container(border=True):
        st.markdown(f"**新建督办事项**（会商周 {meeting}）")
        defaults({"tn_districts": [], "tn_subject": "", "tn_due": default_due(meeting), "tn_kind": actions.NO_TARGET,
                  "tn_metric": "超期率", "tn_op": "≤", "tn_value": None, "tn_level": "乡镇街道",
                  "tn_place": "", "tn_baseline": None, "tn_ids": ""})
        # an account limited to some districts sets tasks for those only
        options = access.allowed_districts(who, list(bureau_of)) or list(bureau_of)
        st.session_state["tn_districts"] = [d for d in st.session_state["tn_districts"] if d in options]
        st.multiselect("责任区县", options, key="tn_districts", placeholder="选择责任区县")
        st.text_area("督办事项（不超过200字）", key="tn_subject", height=80)
        st.text_input("期限（周如 2026-W48，或月如 2026-12；默认下一会商周）", key="tn_due")
        target_fields("tn_")
        st.button("保存督办事项", key="tn_save", type="primary", on_click=_create)

# the list: this period's (due now, set now, still open from before), or every open one, or all
scope = st.radio("范围", ["本期相关", "未办结", "全部"], horizontal=True, key="tasks_scope")
wanted_status = st.multiselect("状态", list(STATUSES), key="tasks_status", placeholder="全部状态")
if scope == "本期相关":
    shown = [t for t in tasks if t.id in relevant]
elif scope == "未办结":
    shown = [t for t in tasks if t.status in OPEN]
else:
    shown = list(tasks)
if wanted_status:
    shown = [t for t in shown if present.status_text(t, today).split("（")[0] in wanted_status]
shown.sort(key=lambda t: (present.bureaus_text(t, names), STATUSES.index(present.status_text(t, today).split("（")[0]), t.id))
found = checks_for([t for t in shown if t.target])

line = present.review_line(tasks, found, period, today)
st.markdown(f"**{texts.plain(line, 200)}**")
widgets.table(present.list_table(shown, found, names, today), f"督办事项_{period.key}",
         title=f"督办事项（{len(shown)}项，按区县和状态）", empty="（没有符合条件的督办事项）",
         caption="状态“逾期”：期限已过仍未反馈，由日期自动判定。检查：关联指标在期限内与前一期相比，"
                 "“显著”为该指标自身的检验 p ≤ 0.05；期限内数据未齐时为暂计。")

if shown:
    ids = [t.id for t in shown]
    if st.session_state.get("task_pick") not in ids:
        st.session_state.pop("task_pick", None)
    by_id = {t.id: t for t in shown}
    pick = st.selectbox("查看督办事项", ids, key="task_pick",
                        format_func=lambda i: f"{i} · {present.bureaus_text(by_id[i], names)} · {by_id[i].subject[:30]}")
    t = by_id[pick]
    with st.container(border=True):
        st.markdown(f"**督办事项 {t.id}**（第{t.version}版）")
        st.text(t.subject)
        st.caption(texts.plain(f"区县：{present.bureaus_text(t, names)} · 会商周 {t.meeting_week} · 期限 {t.due_period}"
                            f" · 状态：{present.status_text(t, today)} · 创建：{t.created_by}（{t.created_at:%Y-%m-%d %H:%M}）", 300))
        if t.target:
            st.markdown("关联指标：" + texts.plain(present.target_text(t.target), 200))
            check_line = present.check_text(t.target, found.get(t.id))
            if check_line:
                st.markdown("检查：" + texts.plain(check_line, 300))
        if t.closing_note:
            st.markdown("办结说明：")
            st.text(t.closing_note)
        if t.withdraw_reason:
            st.markdown("撤销原因：")
            st.text(t.withdraw_reason)
        widgets.table(present.feedback_table(t), f"督办反馈_{t.id}", title=f"反馈（{len(t.feedback)}条）",
                 downloads=False, empty="（尚无反馈）")

        if rights.may_answer(t):
            st.text_area("填写反馈（本单位落实情况）", key=f"tf_{t.id}_text", height=100)
            st.button("提交反馈", key=f"tf_{t.id}_save", type="primary", on_click=_feedback, args=(t.id,))

        if rights.manage and t.status in OPEN:
            edit_tab, close_tab, withdraw_tab = st.tabs(["修改", "办结", "撤销"])
            with edit_tab:
                p = f"te_{t.id}_{t.version}_"          # keyed by version: a form never carries another version's values
                defaults(actions.form_values(t, names, p))
                allowed = access.allowed_districts(who, list(bureau_of)) or list(bureau_of)
                current = st.session_state[p + "districts"]
                st.multiselect("责任区县", allowed + [d for d in current if d not in allowed], key=p + "districts")
                st.text_area("督办事项", key=p + "subject", height=80)
                st.text_input("期限", key=p + "due")
                target_fields(p)
                st.button("保存修改", key=p + "save", on_click=_edit, args=(t.id, t.version, p))
            with close_tab:
                c = f"tc_{t.id}_{t.version}_"
                st.radio("结论", list(CLOSING), key=c + "outcome", horizontal=True)
                st.text_area("办结说明（可选）", key=c + "note", height=80)
                st.button("办结", key=c + "save", on_click=_close, args=(t.id, t.version))
            with withdraw_tab:
                w = f"tw_{t.id}_{t.version}_"
                st.text_area("撤销原因（必填；记录保留，不会删除）", key=w + "reason", height=80)
                st.button("撤销督办事项", key=w + "save", on_click=_withdraw, args=(t.id, t.version))

        try:
            journal = store.journal(t.id)
        except task_store.StoreError as exc:
            journal = []
            st.warning(str(exc))
        with st.expander(f"修改记录（{len(journal)}条）"):
            widgets.table(present.journal_table(journal, names), f"督办修改记录_{t.id}", downloads=False)
