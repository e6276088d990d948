class_name UseCasePlot
extends Control
## A small x–y plot for the use-case pages: lines (with optional point markers), histogram bars
## (several series overlaid, translucent) and vertical marker lines, on linear axes with ticks
## from [ChartMath], a title, axis names, a legend and a note (e.g. "AUC 0.93") in the corner.
## The ranges follow the data unless fixed with [method set_ranges].

const MARGIN_LEFT: float = 40.0
const MARGIN_BOTTOM: float = 30.0
const MARGIN_TOP: float = 20.0
const MARGIN_RIGHT: float = 10.0
const FONT_SIZE: int = 11

var title: String = ""
var x_label: String = ""
var y_label: String = ""
## Text in the plot's top-left corner, in large type (e.g. "AUC 0.934").
var note: String = ""
## The legend in the bottom-right corner instead of the top-right (for rising curves).
var legend_at_bottom: bool = false
## The note in the bottom-right corner instead of the top-left (for curves that hug the top-left,
## like a ROC curve).
var note_at_bottom: bool = false
## Everything drawn: each {"kind": "line"|"bars"|"vline", "color", "name", …} (see the add_*).
var series: Array[Dictionary] = []

var _x_range := Vector2.ZERO
var _y_range := Vector2.ZERO
var _fixed_x: bool = false
var _fixed_y: bool = false


func _ready() -> void:
	resized.connect(queue_redraw)


## Removes every series (the fixed ranges stay).
func clear() -> void:
	series.clear()
	note = ""
	queue_redraw()


## A polyline through `points` (data units), with small dots at each point when `markers`.
func add_line(
	points: PackedVector2Array, color: Color, name: String, markers: bool = false
) -> void:
	series.append(
		{"kind": "line", "points": points, "color": color, "name": name, "markers": markers}
	)
	queue_redraw()


## Bars from `edges[i]` to `edges[i + 1]` of height `counts[i]` (a histogram; edges has one
## more value than counts).
func add_bars(
	edges: PackedFloat32Array, counts: PackedFloat32Array, color: Color, name: String
) -> void:
	series.append({"kind": "bars", "edges": edges, "counts": counts, "color": color, "name": name})
	queue_redraw()


## A vertical line across the plot at `x` (a threshold).
func add_vline(x: float, color: Color, name: String) -> void:
	series.append({"kind": "vline", "x": x, "color": color, "name": name})
	queue_redraw()


## Fixes the axes (a zero-width range lets that axis follow the data again).
func set_ranges(x_range: Vector2, y_range: Vector2) -> void:
	_x_range = x_range
	_y_range = y_range
	_fixed_x = x_range.y > x_range.x
	_fixed_y = y_range.y > y_range.x
	queue_redraw()


## The data ranges the axes show now: [Vector2(x_lo, x_hi), Vector2(y_lo, y_hi)].
func ranges() -> Array[Vector2]:
	var lo := Vector2(INF, INF)
	var hi := Vector2(-INF, -INF)
	for s: Dictionary in series:
		var xs := PackedFloat32Array()
		var ys := PackedFloat32Array()
		match s["kind"]:
			"line":
				for p: Vector2 in s["points"]:
					xs.append(p.x)
					ys.append(p.y)
			"bars":
				xs = s["edges"]
				ys.append(0.0)  # bars stand on zero
				ys.append_array(s["counts"])
			"vline":
				xs.append(s["x"])
		for x in xs:
			if is_finite(x):
				lo.x = minf(lo.x, x)
				hi.x = maxf(hi.x, x)
		for y in ys:
			if is_finite(y):
				lo.y = minf(lo.y, y)
				hi.y = maxf(hi.y, y)
	var x := _x_range if _fixed_x else _padded(lo.x, hi.x)
	var y := _y_range if _fixed_y else _padded(lo.y, hi.y + (hi.y - lo.y) * 0.08)
	return [x, y]


## The plotting area (inside the axes), in this control's pixels.
func plot_rect() -> Rect2:
	return Rect2(
		Vector2(MARGIN_LEFT, MARGIN_TOP),
		size - Vector2(MARGIN_LEFT + MARGIN_RIGHT, MARGIN_TOP + MARGIN_BOTTOM)
	)


## Where the data point `p` is drawn, in this control's pixels.
func to_pixels(p: Vector2) -> Vector2:
	var r: Array[Vector2] = ranges()
	var area: Rect2 = plot_rect()
	var fx: float = (p.x - r[0].x) / maxf(r[0].y - r[0].x, 1e-12)
	var fy: float = (p.y - r[1].x) / maxf(r[1].y - r[1].x, 1e-12)
	return Vector2(area.position.x + fx * area.size.x, area.end.y - fy * area.size.y)


static func _padded(lo: float, hi: float) -> Vector2:
	if not is_finite(lo) or not is_finite(hi):
		return Vector2(0.0, 1.0)
	if hi - lo < 1e-9:
		return Vector2(lo - 0.5, hi + 0.5)
	return Vector2(lo, hi)


func _draw() -> void:
	var font: Font = get_theme_default_font()
	var area: Rect2 = plot_rect()
	draw_rect(Rect2(Vector2.ZERO, size), StudioPalette.BACKGROUND)
	if area.size.x < 10 or area.size.y < 10:
		return
	_draw_axes(font, area)
	for s: Dictionary in series:
		match s["kind"]:
			"bars":
				_draw_bars(s)
			"line":
				_draw_line_series(s)
			"vline":
				var top: Vector2 = to_pixels(Vector2(s["x"], 0.0))
				draw_line(
					Vector2(top.x, area.position.y), Vector2(top.x, area.end.y), s["color"], 2.0
				)
	_draw_legend(font, area)
	draw_string(font, Vector2(4, 14), title, HORIZONTAL_ALIGNMENT_LEFT, -1, 13, StudioPalette.TEXT)
	if not note.is_empty():
		var at: Vector2 = area.position + Vector2(8, 24)
		var align: HorizontalAlignment = HORIZONTAL_ALIGNMENT_LEFT
		if note_at_bottom:
			at = Vector2(area.position.x, area.end.y - 10)
			align = HORIZONTAL_ALIGNMENT_RIGHT
		draw_string(font, at, note, align, area.size.x - 10, 20, StudioPalette.ACCENT)


func _draw_axes(font: Font, area: Rect2) -> void:
	var r: Array[Vector2] = ranges()
	draw_rect(area, StudioPalette.PANEL)
	# Nice steps, as many as the width holds; labels that would touch are left out.
	var x_ticks: PackedFloat64Array = ChartMath.nice_ticks(
		r[0].x, r[0].y, clampi(floori(area.size.x / 70.0), 2, 5)
	)
	var x_texts: PackedStringArray = ChartMath.tick_texts(x_ticks, false)
	var columns := PackedFloat64Array()
	var widest: float = 0.0
	for i in x_ticks.size():
		columns.append(to_pixels(Vector2(x_ticks[i], r[1].x)).x)
		draw_line(
			Vector2(columns[i], area.position.y),
			Vector2(columns[i], area.end.y),
			StudioPalette.GRID
		)
		widest = maxf(widest, font.get_string_size(x_texts[i], 0, -1, FONT_SIZE - 1).x)
	for i in ChartMath.spaced(columns, widest + 8.0):
		var at := Vector2(columns[i] - widest / 2.0 - 4.0, area.end.y + 13)
		draw_string(
			font,
			at,
			x_texts[i],
			HORIZONTAL_ALIGNMENT_CENTER,
			widest + 8.0,
			FONT_SIZE - 1,
			StudioPalette.TEXT_DIM
		)
	var y_ticks: PackedFloat64Array = ChartMath.linear_ticks(r[1].x, r[1].y, 4)
	var y_unit: float = y_ticks[1] - y_ticks[0] if y_ticks.size() > 1 else 1.0
	for t: float in y_ticks:
		var y: float = to_pixels(Vector2(r[0].x, t)).y
		draw_line(Vector2(area.position.x, y), Vector2(area.end.x, y), StudioPalette.GRID)
		draw_string(
			font,
			Vector2(0, y + 4),
			ChartMath.tick_label(t, y_unit),
			HORIZONTAL_ALIGNMENT_RIGHT,
			MARGIN_LEFT - 4,
			FONT_SIZE - 1,
			StudioPalette.TEXT_DIM
		)
	draw_rect(area, StudioPalette.GRID_AXIS, false, 1.0)
	draw_string(
		font,
		Vector2(area.position.x, size.y - 3),
		x_label,
		HORIZONTAL_ALIGNMENT_CENTER,
		area.size.x,
		FONT_SIZE,
		StudioPalette.TEXT_DIM
	)
	draw_string(
		font,
		Vector2(area.position.x + 4, area.position.y - 4),
		y_label,
		HORIZONTAL_ALIGNMENT_RIGHT,
		area.size.x - 8,
		FONT_SIZE,
		StudioPalette.TEXT_DIM
	)


func _draw_bars(s: Dictionary) -> void:
	var edges: PackedFloat32Array = s["edges"]
	var counts: PackedFloat32Array = s["counts"]
	var fill: Color = s["color"]
	fill.a = 0.85
	for i in mini(counts.size(), edges.size() - 1):
		if counts[i] <= 0.0:
			continue
		var a: Vector2 = to_pixels(Vector2(edges[i], counts[i]))
		var b: Vector2 = to_pixels(Vector2(edges[i + 1], 0.0))
		draw_rect(Rect2(a, b - a).abs().grow_individual(0, 0, -1, 0), fill)


func _draw_line_series(s: Dictionary) -> void:
	var points := PackedVector2Array()
	for p: Vector2 in s["points"]:
		points.append(to_pixels(p))
	if points.size() >= 2:
		draw_polyline(points, s["color"], 2.0, true)
	if s["markers"] or points.size() == 1:
		for p in points:
			draw_circle(p, 3.5, s["color"])


func _draw_legend(font: Font, area: Rect2) -> void:
	var names: Array[Dictionary] = series.filter(
		func(s: Dictionary) -> bool: return not str(s["name"]).is_empty()
	)
	var y: float = area.position.y + 14.0
	if legend_at_bottom:
		y = area.end.y - 6.0 - 15.0 * (names.size() - 1)
	for s: Dictionary in names:
		var right: float = area.end.x - 6.0
		var width: float = font.get_string_size(s["name"], 0, -1, FONT_SIZE).x
		draw_rect(Rect2(right - width - 14, y - 8, 9, 9), s["color"])
		draw_string(
			font,
			Vector2(right - width, y),
			s["name"],
			HORIZONTAL_ALIGNMENT_LEFT,
			-1,
			FONT_SIZE,
			StudioPalette.TEXT
		)
		y += 15.0
