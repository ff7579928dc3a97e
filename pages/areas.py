"""高发区域: offline choropleth of cases per 10,000 residents, busiest places, emerging hot spots."""
import streamlit as st

import queries
from antifraud import charts, config, hotspots, maps, measures, ui, widgets, wall as wall_mode
from antifraud.views import areas

ctx = ui.frame("高发区域")
period = ctx.period

# the map and the rate chart keep every bureau for context (chosen districts highlighted);
# places and hot spots follow the district filter
city = measures.Filters(types=ctx.filters.types)
rates = areas.bureau_rates(measures.by_bureau(period.start, period.end, city,
                                              sources=measures.sources_for(areas.RATES)), ctx.units)
chosen = frozenset(ctx.filters.bureaus)
start, end = areas.places_window(period, hotspots.history_weeks())
places = queries.run("area_weekly_places", start=start, end=end, **ctx.filters.params())
in_period = areas.weeks_in(places, period)
points = areas.station_points(in_period, queries.run("stations"))

hot_week = areas.hot_week(period)
found = hotspots.emerging(places, hot_week.start, covered=areas.week_covered(ctx.span))
n = int(config.setting("hotspots.top_n", 10))
WALL_TOP = 8                     # places the wall lists (the browser view lists top_n of each level)


def top(level: str, count: int):
    """The busiest places of the period at `level`, kept for every viewer of this link."""
    return ctx.derive("top_places", lambda: hotspots.top_places(places, period.start, period.end, level=level,
                                                                n=count), level, count)


def wall_layout() -> None:
    """One screen: the map (larger, zoomed to fill it); emerging hot spots with their reasons; top places."""
    left, right = st.columns([3, 2], gap="medium")
    with left:
        st.markdown(f"**各区县万人发案（{period.label}）**")
        # the wall's map is larger than the browser's: the city fitted to it (3/5 of 1920 px,
        # 780 px tall), county names readable across the room
        st.pydeck_chart(maps.city_map(rates, points, dark=True, highlight=chosen, fit=(1100, 780), label_size=20),
                        height=780)
        bounds = maps.classes([v for v in rates["value"].tolist() if v and v > 0])
        st.html(maps.legend_html(bounds, "万人发案（五个等数量分级）"))
    with right:
        hot_rows = areas.hotspot_table(found, ctx.units).drop(columns=["层级"])
        st.html(wall_mode.table_html(hot_rows, title=f"新兴热点（{hot_week.label}）：{len(found)}处",
                                     wrap=("原因",), hot=("原因",), testid="wallHotspots", size="1.25rem",
                                     empty=areas.hotspot_empty(hot_week, ctx.span)))
        st.html(wall_mode.table_html(areas.place_table(top("township", WALL_TOP), ctx.units, "township"),
                                     title=f"乡镇街道发案前{WALL_TOP}（与前4周基准比）", testid="wallTopPlaces",
                                     formats={"前4周基准": "{:.1f}"}, size="1.3rem"))


if ctx.wall:
    wall_layout()
    st.stop()

left, right = st.columns([3, 2])
with left:
    st.markdown(f"**各区县万人发案（{period.label}）**")
    if maps.boundaries_stamp() is None:
        st.info("缺少区县边界文件（settings [paths] boundaries），地图只显示功能区和派出所点位。")
    st.pydeck_chart(maps.city_map(rates, points, highlight=chosen), height=560)
    bounds = maps.classes([v for v in rates["value"].tolist() if v and v > 0])
    st.html(maps.legend_html(bounds, "万人发案（五个等数量分级）"))
    st.caption("圆环为无边界的功能区分局，蓝点为派出所（面积随发案数）。" + widgets.definition("cases_per_10k"))
with right:
    widgets.chart(charts.bars(rates[["district_name", "value"]], "district_name", "value",
                         f"各区县万人发案（{period.label}）", "起/万人", text_format="{:.2f}", height=560,
                         color=areas.bar_colours(rates, ctx.filters.bureaus)),
             widgets.definition("cases_per_10k"), key="rate_bars")

widgets.table(areas.hotspot_table(found, ctx.units), f"新兴热点_{period.key}",
         title=f"新兴热点（{hot_week.label}）：{len(found)}处",
         empty=areas.hotspot_empty(hot_week, ctx.span),
         caption=areas.hotspot_rule())

a, b = st.columns(2)
with a:
    widgets.table(areas.place_table(top("station", n), ctx.units, "station"), f"派出所发案前{n}_{period.key}",
             title=f"派出所发案前{n}", caption="前4周基准：本期之前4周的周均发案 × 本期周数。")
with b:
    widgets.table(areas.place_table(top("township", n), ctx.units, "township"), f"乡镇街道发案前{n}_{period.key}",
             title=f"乡镇街道发案前{n}", caption="按周汇总（area_weekly）；月度为周一落在本月的各周。")

widgets.table(areas.rate_table(rates), f"万人发案_{period.key}", title="各区县万人发案明细（全市，便于比较）",
         caption=widgets.definition("cases_per_10k"))
