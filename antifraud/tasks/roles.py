"""Who may do what with tasks (pure: an identity and plain values in, a yes/no and a sentence out).

- admin (the chair): creates, edits, closes and withdraws; every district.
- bureau: adds feedback to the tasks of its own bureaus only — the districts its account is
  limited to in the access settings ([auth.districts]), never what the URL asks for.
- reader: reads. kiosk: the wall only (access.decide moves it there before this runs).
- no login: reads; writing needs a name for the journal, so it needs a login.
"""
from __future__ import annotations

from dataclasses import dataclass

from antifraud.access import Identity
from antifraud.tasks.model import OPEN, Task


@dataclass(frozen=True)
class Rights:
    manage: bool                        # create, edit, close, withdraw
    own_bureaus: frozenset[str]         # bureaus whose tasks this user may answer
    summary: str                        # one sentence for the page

    def may_answer(self, task: Task) -> bool:
        return task.status in OPEN and bool(self.own_bureaus & set(task.bureaus))


def own_bureaus(who: Identity | None, bureau_of_district: dict[str, str]) -> frozenset[str]:
    """The bureau ids of the districts `who` is limited to (none when not limited)."""
    if who is None:
        return frozenset()
    return frozenset(bureau_of_district[d] for d in who.districts if d in bureau_of_district)


def rights(who: Identity | None, bureau_of_district: dict[str, str]) -> Rights:
    if who is None:
        return Rights(False, frozenset(), "当前未登录：可以查看督办事项；新建、反馈、办结需要登录（见 docs/access.md）。")
    if who.role == "admin":
        return Rights(True, frozenset(), "您是会商主持人（管理员）：可以新建、修改、办结、撤销督办事项。")
    if who.role == "bureau":
        mine = own_bureaus(who, bureau_of_district)
        if not mine:
            return Rights(False, frozenset(), "您的账号未限定所属区县（[auth.districts]），暂不能反馈督办事项，请联系管理员。")
        names = "、".join(d for d in who.districts if d in bureau_of_district)
        return Rights(False, mine, f"您可以对{names}的督办事项填写反馈。")
    return Rights(False, frozenset(), "您可以查看督办事项（只读）。")
