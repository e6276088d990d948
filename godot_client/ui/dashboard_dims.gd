class_name DashboardDims
extends VBoxContainer
## The `dims` stream as bars: KL(q(z_j|x) ‖ N(0, 1)) of each latent dimension on the backend's
## fixed batch, on a log axis with the 0.01 line, in dimension order or sorted; the header
## counts the active units (Cov_x E[z_j] > 0.01, as `eval` counts them).

## Below this (nats) a dimension carries next to nothing; also the active-unit threshold.
const THRESHOLD: float = 0.01
## The log axis never starts above this, so the threshold line is always on it.
const FLOOR: float = 0.001
const FONT_SIZE: int = 10

## What the bars show now: bars_from() of the newest message.
var shown: Dictionary = {}
var sorted_toggle: CheckBox
## The drawing area of the bars.
var bars: Control

var _header: Label


func _ready() -> void:
	_header = DashboardSection.add_header(self, "KL per dimension")
	var top: HBoxContainer = _header.get_parent()
	sorted_toggle = CheckBox.new()
	sorted_toggle.text = "sorted"
	sorted_toggle.tooltip_text = "Largest KL first (else in dimension order)"
	sorted_toggle.toggled.connect(func(_on: bool) -> void: _show(StudioSession.dims))
	top.add_child(sorted_toggle)
	bars = Control.new()
	bars.name = "Bars"
	bars.size_flags_vertical = Control.SIZE_EXPAND_FILL
	bars.custom_minimum_size = Vector2(180, 90)
	bars.draw.connect(_draw_bars)
	bars.resized.connect(bars.queue_redraw)
	add_child(bars)
	StudioSession.dims_received.connect(_show)
	StudioSession.run_changed.connect(func(_run: String) -> void: _show({}))
	_show(StudioSession.dims)


## The bars of a `dims` message: {"kl": per dimension, "order": the dimensions left to right,
## "active_units", "above" (dimensions with KL ≥ 0.01), "total" (their sum), "error"}.
static func bars_from(message: Dictionary, sorted: bool = false) -> Dictionary:
	var out: Dictionary = {
		"kl": PackedFloat32Array(),
		"order": PackedInt32Array(),
		"active_units": 0,
		"above": 0,
		"total": 0.0,
		"error": ""
	}
	var arr: Variant = message.get("kl_per_dim")
	if not arr is Dictionary or not VaeStudioArray.validate(arr).is_empty():
		out["error"] = "the dims message has no kl_per_dim array"
		return out
	if (arr as Dictionary).get("dtype") != "f32" or (arr as Dictionary)["shape"].size() != 1:
		out["error"] = "kl_per_dim must be f32 [Z]"
		return out
	var kl: PackedFloat32Array = VaeStudioArray.to_float32(arr)
	var order: Array = range(kl.size())
	if sorted:
		order.sort_custom(func(a: int, b: int) -> bool: return kl[a] > kl[b])
	var total: float = 0.0
	var above: int = 0
	for value in kl:
		total += value
		above += 1 if value >= THRESHOLD else 0
	out["kl"] = kl
	out["order"] = PackedInt32Array(order)
	out["active_units"] = int(message.get("active_units", 0))
	out["above"] = above
	out["total"] = total
	return out


func _show(message: Dictionary) -> void:
	shown = bars_from(message, sorted_toggle.button_pressed) if not message.is_empty() else {}
	if shown.is_empty():
		_header.text = "waiting for the dims stream…"
	elif not str(shown["error"]).is_empty():
		_header.text = str(shown["error"])
	else:
		_header.text = (
			"%d/%d active · KL %s"
			% [shown["active_units"], shown["kl"].size(), ChartMath.short(shown["total"])]
		)
		_header.tooltip_text = (
			(
				"Active units: dimensions whose Cov_x E[z_j] > 0.01 on %s rows; KL in nats (the"
				% str(message.get("rows", "?"))
			)
			+ " dashed line: 0.01)"
		)
	bars.queue_redraw()


func _draw_bars() -> void:
	var area := Rect2(Vector2(34.0, 4.0), bars.size - Vector2(38.0, 20.0))
	bars.draw_rect(Rect2(Vector2.ZERO, bars.size), StudioPalette.BACKGROUND)
	if shown.is_empty() or not str(shown["error"]).is_empty() or area.size.x < 10.0:
		return
	var kl: PackedFloat32Array = shown["kl"]
	var top: float = FLOOR
	for value in kl:
		top = maxf(top, value)
	var lo: float = ChartMath.log10(FLOOR)
	var hi: float = ceilf(ChartMath.log10(top) * 2.0) / 2.0
	hi = maxf(hi, lo + 1.0)
	var font: Font = bars.get_theme_default_font()
	for value in ChartMath.log_ticks(lo, hi):
		if not is_equal_approx(ChartMath.log10(value), roundf(ChartMath.log10(value))):
			continue
		var y: float = _y_of(value, area, lo, hi)
		bars.draw_line(Vector2(area.position.x, y), Vector2(area.end.x, y), StudioPalette.GRID)
		bars.draw_string(
			font,
			Vector2(0, y + 4),
			ChartMath.short(value),
			HORIZONTAL_ALIGNMENT_RIGHT,
			30,
			FONT_SIZE,
			StudioPalette.TEXT_DIM
		)
	var order: PackedInt32Array = shown["order"]
	var slot: float = area.size.x / maxf(order.size(), 1)
	var label_every: int = maxi(1, ceili(18.0 / slot))
	for i in order.size():
		var value: float = kl[order[i]]
		# At least a 2-pixel stub: a dimension at the prior still shows as a (flat) bar.
		var y: float = minf(_y_of(maxf(value, FLOOR), area, lo, hi), area.end.y - 2.0)
		var bar := Rect2(
			area.position.x + i * slot + slot * 0.15, y, maxf(slot * 0.7, 1.0), area.end.y - y
		)
		var color: Color = StudioPalette.KL if value >= THRESHOLD else StudioPalette.TEXT_DIM
		bars.draw_rect(bar, color)
		if i % label_every == 0:
			bars.draw_string(
				font,
				Vector2(area.position.x + i * slot, bars.size.y - 3.0),
				str(order[i]),
				HORIZONTAL_ALIGNMENT_CENTER,
				slot,
				FONT_SIZE,
				StudioPalette.TEXT_DIM
			)
	var threshold_y: float = _y_of(THRESHOLD, area, lo, hi)
	bars.draw_dashed_line(
		Vector2(area.position.x, threshold_y),
		Vector2(area.end.x, threshold_y),
		StudioPalette.WARN,
		1.0,
		4.0
	)


static func _y_of(value: float, area: Rect2, lo: float, hi: float) -> float:
	var t: float = (ChartMath.log10(value) - lo) / (hi - lo)
	return area.end.y - clampf(t, 0.0, 1.0) * area.size.y
