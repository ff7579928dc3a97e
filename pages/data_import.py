"""数据导入: upload csv/xlsx extracts, run the same ingest as the command line, show what was rejected."""
import shutil
import tempfile
from pathlib import Path

import streamlit as st

import queries
from antifraud import config, texts, ui, widgets
from antifraud.config import UsageError
from antifraud.views import data_import as views

ctx = ui.frame("数据导入")   # the access check stops here unless settings [import] enabled = true

max_mb = int(config.setting("import.max_upload_mb", 200))
if ctx.user is None:
    st.caption("未配置登录：本页只在运行看板的本机上可用，导入记录中不留操作人（见 docs/access.md）。")
st.markdown("上传本周的导出文件（案件、预警，可选打击战果；csv 或 xlsx，GBK 或 UTF-8）。"
            "与命令行 `python -m antifraud ingest` 相同：所有文件一次性导入，任何一个文件无法使用时都不导入；"
            "已导入过的案件按编号更新，不会重复计数。")
files = st.file_uploader("选择文件", type=["csv", "xlsx"], accept_multiple_files=True, key="uploads")

if files and st.button("开始导入", type="primary"):
    too_big = [f.name for f in files if f.size > max_mb * 1024 * 1024]
    if too_big:
        st.error(f"文件超过 {max_mb} MB：{texts.plain('、'.join(too_big), 200)}")
    else:
        folder = Path(tempfile.mkdtemp(prefix="antifraud-upload-"))
        try:
            paths = []
            for f in files:
                path = folder / views.safe_name(f.name)
                path.write_bytes(f.getvalue())
                paths.append(path)
            bar = st.progress(0.0, text="正在导入…")
            from antifraud import ingest
            results = ingest.ingest_files(paths, queries.database(), user=ctx.user.name if ctx.user else None,
                                          progress=lambda frac, text: bar.progress(min(max(frac, 0.0), 1.0), text=text))
            bar.empty()
            st.session_state["import_results"] = results
        except UsageError as exc:
            st.error(f"未导入任何数据：{texts.plain(str(exc), 300)}")
        except Exception as exc:  # noqa: BLE001 - a sentence for the analyst, details in the server log
            st.error(f"导入失败，数据库未改变：{texts.plain(type(exc).__name__)}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

results = st.session_state.get("import_results")
if results:
    total_rejected = sum(r.rows_rejected for r in results)
    (st.warning if total_rejected else st.success)(
        f"读取 {sum(r.rows_read for r in results):,} 行，载入 {sum(r.rows_loaded for r in results):,} 行"
        f"（新增 {sum(r.rows_new for r in results):,}，更新 {sum(r.rows_updated for r in results):,}），"
        f"拒收 {total_rejected:,} 行。")
    for r in results:
        if "已导入过" in (r.note or ""):   # a re-import is a success, but the analyst should know
            st.info(f"{texts.plain(Path(r.file).name, 120)}：{texts.plain(r.note, 200)}")
    widgets.table(views.summary_table(results), "导入结果", title="各文件导入结果")
    for i, r in enumerate(results):
        if r.rows_rejected:
            widgets.table(views.rejected_rows(r.reject_file), f"拒收明细_{Path(r.file).stem}",
                     title=f"拒收明细：{Path(r.file).name}（{r.rows_rejected}行）",
                     caption="行号为表格软件中看到的行号（标题行计入）；原因为一句话说明。不含个人信息。",
                     key=f"rejects_{i}")

widgets.table(views.imports_table(queries.run("recent_imports")), "导入记录", title="最近的导入记录",
         caption="导入审计表（imports），最新的在前。")
