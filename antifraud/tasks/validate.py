"""Input rules for tasks: each refusal is one Chinese sentence, and nothing is saved.

Free text (subject, feedback, notes) is refused rather than silently changed when it
holds HTML markup or a personal number: the writer can fix it at once, whereas blanking
(what ingest does with extracts nobody is there to ask) would lose their sentence.
Formula-looking text (a leading = + - @) is accepted — "-已约谈" is an ordinary bullet —
and made inert where it can do harm, in the csv/xlsx exports. Everything shown on a page
is shown as text, never rendered, whatever got in.
"""
from __future__ import annotations

import math
import re
import unicodedata

from antifraud import metrics, periods
from antifraud.ingest.values import PII_PATTERN
from antifraud.tasks.model import (FEEDBACK_MAX, IDS_MAX, LEVELS, NOTE_MAX, OPS, PLACE_MAX, SUBJECT_MAX,
                                   Draft, Target, default_due, target_metrics)


class Invalid(ValueError):
    """Bad input; str(exc) is the sentence to show."""


# a tag (<b>, </div>, <!--, <img …>) or a script URL; "超期率<5%" is no tag
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?][^>]*>|<\s*script|javascript\s*:", re.IGNORECASE)
_PII = re.compile(PII_PATTERN)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,39}$")


def has_personal_number(text: str) -> bool:
    """A mobile, ID or card number, also written with spaces, dashes or full-width digits."""
    folded = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text))
    return bool(_PII.search(folded))


def text(value, what: str, limit: int, required: bool = True, one_line: bool = False) -> str:
    """Cleaned free text, or Invalid naming `what`."""
    s = _CONTROL.sub("", unicodedata.normalize("NFC", str(value or ""))).replace("\r\n", "\n").replace("\r", "\n")
    if one_line:
        s = re.sub(r"\s*\n\s*", " ", s)
    s = s.strip()
    if not s:
        if required:
            raise Invalid(f"请填写{what}。")
        return ""
    if len(s) > limit:
        raise Invalid(f"{what}不能超过{limit}字（现为{len(s)}字）。")
    if _MARKUP.search(s):
        raise Invalid(f"{what}不能包含 HTML 或脚本标记（如 <script>），请只填写文字。")
    if has_personal_number(s):
        raise Invalid(f"{what}含疑似手机号、身份证号或银行卡号，请删去个人信息后再保存"
                      "（预警、案件编号请填在“关联编号”中）。")
    return s


def subject(value) -> str:
    return text(value, "督办事项", SUBJECT_MAX, one_line=True)


def feedback(value) -> str:
    return text(value, "反馈内容", FEEDBACK_MAX)


def closing_note(value) -> str:
    return text(value, "办结说明", NOTE_MAX, required=False)


def withdraw_reason(value) -> str:
    return text(value, "撤销原因", NOTE_MAX)


def bureaus(values, known: set[str] | None, names: dict[str, str] | None = None) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(str(v).strip() for v in (values or ()) if str(v).strip()))
    if not out:
        raise Invalid("请选择至少一个区县。")
    if known is not None:
        unknown = [b for b in out if b not in known]
        if unknown:
            shown = "、".join((names or {}).get(b, b)[:20] for b in unknown[:3])
            raise Invalid(f"未知的分县局：{shown}。")
    return out


def meeting_week(value) -> str:
    try:
        week = periods.parse(str(value or ""))
    except ValueError:
        raise Invalid(f"会商周“{str(value or '')[:20]}”无法识别（应为 2026-W47 这样的周）。") from None
    if week.kind != "week":
        raise Invalid("会商周应为一周（如 2026-W47）。")
    return week.key


def due_period(value, meeting: str) -> str:
    """A week or month ending no earlier than the meeting week; "" = the next meeting week."""
    raw = str(value or "").strip()
    if not raw:
        return default_due(meeting)
    try:
        due = periods.parse(raw)
    except ValueError:
        raise Invalid(f"期限“{raw[:20]}”无法识别（应为 2026-W48 这样的周或 2026-12 这样的月）。") from None
    week = periods.parse(meeting)
    if due.end < week.end:
        raise Invalid(f"期限（{due.key}）不能早于会商周（{week.key}）。")
    return due.key


def _number(value, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"请填写{what}。") from None
    if math.isnan(v) or math.isinf(v):
        raise Invalid(f"请填写{what}。")
    return v


def target(t: Target | None) -> Target | None:
    if t is None:
        return None
    if t.kind == "metric":
        if t.metric not in metrics.ALL:
            raise Invalid(f"未知的指标：{str(t.metric)[:30]}。")
        m = metrics.get(t.metric)
        if t.metric not in target_metrics():
            raise Invalid(f"“{m.label}”不能按分县局计算，不能作为督办目标。")
        if t.op not in OPS:
            raise Invalid("请选择目标方向（≤ 或 ≥）。")
        v = _number(t.value, "目标值")
        if m.kind == "rate" and not 0 <= v <= 1:
            raise Invalid(f"“{m.label}”的目标应在0%到100%之间（现为{v * 100:g}%）。")
        if v < 0:
            raise Invalid(f"“{m.label}”的目标不能为负数。")
        return Target("metric", metric=t.metric, op=t.op, value=v)
    if t.kind == "place":
        if t.level not in LEVELS:
            raise Invalid("请选择地点层级（乡镇街道或派出所）。")
        place = text(t.place, "地点名称", PLACE_MAX, one_line=True)
        v = _number(t.value, "基准（每周发案数）")
        if v < 0:
            raise Invalid("基准（每周发案数）不能为负数。")
        return Target("place", op="<=", value=v, level=t.level, place=place)
    if t.kind == "ids":
        ids = tuple(dict.fromkeys(str(i).strip() for i in t.ids if str(i).strip()))
        if not ids:
            raise Invalid("请填写至少一个预警或案件编号。")
        if len(ids) > IDS_MAX:
            raise Invalid(f"关联编号最多{IDS_MAX}个（现为{len(ids)}个）。")
        bad = [i for i in ids if not _ID.match(i)]
        if bad:
            raise Invalid(f"编号“{bad[0][:20]}”格式不对：只能含字母、数字、- 和 _，不超过40位。")
        return Target("ids", ids=ids)
    raise Invalid("关联指标的类型无法识别。")


def draft(d: Draft, known_bureaus: set[str] | None = None, names: dict[str, str] | None = None) -> Draft:
    """The draft cleaned and complete (due period filled in), or Invalid."""
    b = bureaus(d.bureaus, known_bureaus, names)
    s = subject(d.subject)
    week = meeting_week(d.meeting_week)
    return Draft(bureaus=b, subject=s, meeting_week=week, due_period=due_period(d.due_period, week),
                 target=target(d.target))


def parse_ids(raw: str) -> tuple[str, ...]:
    """Ids typed into one box: separated by commas (either width), 、, spaces or new lines."""
    return tuple(p for p in re.split(r"[\s,，、;；]+", str(raw or "")) if p)
