"""Meeting follow-up (会商督办): tasks set in the meeting, tracked to the next one, checked
against the data (issue 15). One job per module; none imports a module that imports it.

    model     the task and its parts (plain data)
    validate  input rules: one Chinese sentence per refusal, nothing saved
    status    逾期 and the meeting's review status, read from the clock
    check     the automatic check of a linked measure (pure)
    suggest   suggested tasks from this week's frames (pure)
    roles     who may create, edit, close, withdraw, give feedback (pure)
    actions   what each button of the page does, on plain values (re-checks the rights)
    store     the SQLite store beside the database (WAL, versions, journal, migrations)
    present   tables and sentences for the page, the wall slide and the briefing (pure)
    fetch     the one module that reads the analytic database for tasks
    export    the archive: csv / xlsx, and the `python -m antifraud tasks` commands

For the wall and the briefing: `fetch.wall_summary(period, filters, is_complete)` and
`fetch.briefing_section(period, filters, is_complete)` (over `fetch.review`, with the pure
`present.wall_summary` / `present.briefing_section`); docs/tasks.md.
"""
