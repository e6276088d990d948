class_name DashboardLayers
extends VBoxContainer
## Layer health from the `layers` stream: per parameter-holding layer, the norm of its weights
## and of its last gradients (before clipping) as two thin bars on one log axis, so a layer
## whose gradients vanish or explode stands out.

const FONT_SIZE: int = 10
const NAME_WIDTH: float = 120.0
const VALUE_WIDTH: float = 92.0
const WEIGHT_COLOR := StudioPalette.RECON
const GRAD_COLOR := StudioPalette.KL

## The rows of the newest message: rows_from().
var shown: Dictionary = {}
var panel: Control

var _header: Label


func _ready() -> void:
	_header = DashboardSection.add_header(self, "Layer health")
	panel = Control.new()
	panel.name = "Rows"
	panel.size_flags_vertical = Control.SIZE_EXPAND_FILL
	panel.custom_minimum_size = Vector2(240, 90)
	panel.draw.connect(_draw_rows)
	panel.resized.connect(panel.queue_redraw)
	add_child(panel)
	StudioSession.layers_received.connect(_show)
	StudioSession.run_changed.connect(func(_run: String) -> void: _show({}))
	_show(StudioSession.layers)


## The rows of a `layers` message: {"names", "weight_norm", "grad_norm" (one per layer),
## "grad_norm_total", "error"}.
static func rows_from(message: Dictionary) -> Dictionary:
	var out: Dictionary = {
		"names": PackedStringArray(),
		"weight_norm": PackedFloat32Array(),
		"grad_norm": PackedFloat32Array(),
		"grad_norm_total": 0.0,
		"error": ""
	}
	var names: Variant = message.get("names")
	var weights: Variant = message.get("weight_norm")
	var grads: Variant = message.get("grad_norm")
	for arr: Variant in [weights, grads]:
		if not arr is Dictionary or not VaeStudioArray.validate(arr).is_empty():
			out["error"] = "the layers message needs weight_norm and grad_norm f32 arrays"
			return out
	if not names is Array:
		out["error"] = "the layers message needs a names list"
		return out
	out["names"] = PackedStringArray(names)
	out["weight_norm"] = VaeStudioArray.to_float32(weights)
	out["grad_norm"] = VaeStudioArray.to_float32(grads)
	var count: int = out["names"].size()
	if out["weight_norm"].size() != count or out["grad_norm"].size() != count:
		out["error"] = "names, weight_norm and grad_norm differ in length"
		return out
	out["grad_norm_total"] = float(message.get("grad_norm_total", 0.0))
	return out


func _show(message: Dictionary) -> void:
	shown = rows_from(message) if not message.is_empty() else {}
	if shown.is_empty():
		_header.text = "waiting for the layers stream…"
	elif not str(shown["error"]).is_empty():
		_header.text = str(shown["error"])
	else:
		_header.text = (
			"%d layers · |grad| %s"
			% [shown["names"].size(), ChartMath.short(shown["grad_norm_total"])]
		)
	panel.queue_redraw()


func _draw_rows() -> void:
	panel.draw_rect(Rect2(Vector2.ZERO, panel.size), StudioPalette.BACKGROUND)
	if shown.is_empty() or not str(shown["error"]).is_empty():
		return
	var names: PackedStringArray = shown["names"]
	var weights: PackedFloat32Array = shown["weight_norm"]
	var grads: PackedFloat32Array = shown["grad_norm"]
	var lo: float = INF
	var hi: float = -INF
	for values: PackedFloat32Array in [weights, grads]:
		for value in values:
			if value > 0.0 and is_finite(value):
				lo = minf(lo, floorf(ChartMath.log10(value)))
				hi = maxf(hi, ceilf(ChartMath.log10(value)))
	if lo == INF:
		return
	hi = maxf(hi, lo + 1.0)
	var font: Font = panel.get_theme_default_font()
	var key_y: float = 10.0
	var bars_x: float = NAME_WIDTH + 4.0
	var bars_w: float = maxf(panel.size.x - bars_x - VALUE_WIDTH, 20.0)
	_key(font, Vector2(bars_x, key_y), bars_w, lo, hi)
	var row_h: float = clampf((panel.size.y - 16.0) / maxf(names.size(), 1), 6.0, 20.0)
	for i in names.size():
		var y: float = 16.0 + i * row_h
		var size_y: float = maxf(row_h * 0.36, 2.0)
		panel.draw_string(
			font,
			Vector2(0, y + row_h * 0.5 + 4.0),
			names[i],
			HORIZONTAL_ALIGNMENT_RIGHT,
			NAME_WIDTH,
			FONT_SIZE,
			StudioPalette.TEXT
		)
		var w: float = _bar_width(weights[i], lo, hi) * bars_w
		var g: float = _bar_width(grads[i], lo, hi) * bars_w
		panel.draw_rect(Rect2(bars_x, y + row_h * 0.1, w, size_y), WEIGHT_COLOR)
		panel.draw_rect(Rect2(bars_x, y + row_h * 0.5, g, size_y), GRAD_COLOR)
		panel.draw_string(
			font,
			Vector2(bars_x + bars_w + 4.0, y + row_h * 0.5 + 4.0),
			"%s / %s" % [ChartMath.short(weights[i]), ChartMath.short(grads[i])],
			HORIZONTAL_ALIGNMENT_LEFT,
			VALUE_WIDTH - 4.0,
			FONT_SIZE,
			StudioPalette.TEXT_DIM
		)


## The legend and the axis ends above the bars.
func _key(font: Font, at: Vector2, width: float, lo: float, hi: float) -> void:
	panel.draw_rect(Rect2(at.x, at.y - 7.0, 8.0, 6.0), WEIGHT_COLOR)
	panel.draw_string(
		font,
		at + Vector2(11.0, 0.0),
		"|weight|",
		HORIZONTAL_ALIGNMENT_LEFT,
		-1,
		FONT_SIZE,
		StudioPalette.TEXT_DIM
	)
	panel.draw_rect(Rect2(at.x + 64.0, at.y - 7.0, 8.0, 6.0), GRAD_COLOR)
	panel.draw_string(
		font,
		at + Vector2(75.0, 0.0),
		"|grad|",
		HORIZONTAL_ALIGNMENT_LEFT,
		-1,
		FONT_SIZE,
		StudioPalette.TEXT_DIM
	)
	panel.draw_string(
		font,
		at + Vector2(width - 120.0, 0.0),
		"log: %s … %s" % [ChartMath.short(pow(10.0, lo)), ChartMath.short(pow(10.0, hi))],
		HORIZONTAL_ALIGNMENT_RIGHT,
		120.0,
		FONT_SIZE,
		StudioPalette.TEXT_DIM
	)


## Where `value` ends on the log axis from 10^lo to 10^hi, 0 to 1 (a zero norm: no bar).
static func _bar_width(value: float, lo: float, hi: float) -> float:
	if not value > 0.0 or not is_finite(value):
		return 0.0
	return clampf((ChartMath.log10(value) - lo) / (hi - lo), 0.02, 1.0)
