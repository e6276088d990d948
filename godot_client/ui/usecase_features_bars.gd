class_name UseCaseFeaturesBars
extends Control
## Labelled horizontal bars on a 0…max scale, each with its value at its end, and an optional
## dashed marker line (e.g. chance level) named at its foot.

const FONT_SIZE: int = 12
const ROW_GAP: float = 6.0

## What is drawn: names, values and colours one per bar, the scale's end and the marker.
var names := PackedStringArray()
var values := PackedFloat32Array()
var colours := PackedColorArray()
var max_value: float = 1.0
var marker: float = NAN
var marker_name: String = ""
## Room for the names left of the bars.
var name_width: float = 150.0
## Bars' value formatting: "%.3f" or e.g. "%.1f dB".
var value_format: String = "%.3f"


func _ready() -> void:
	resized.connect(queue_redraw)


## Draws these bars (max_value ≤ 0 scales to the largest value).
func set_bars(
	bar_names: PackedStringArray, bar_values: PackedFloat32Array, scale_end: float = 1.0
) -> void:
	names = bar_names
	values = bar_values
	max_value = scale_end
	if max_value <= 0.0:
		for v in values:
			max_value = maxf(max_value, v)
		max_value = maxf(max_value, 1e-6)
	queue_redraw()


## Where bar `i` is drawn, in local coordinates (for tests and drivers).
func bar_rect(i: int) -> Rect2:
	var count: int = maxi(names.size(), 1)
	var row_h: float = minf(28.0, (size.y - FONT_SIZE - ROW_GAP) / count - ROW_GAP)
	var width: float = maxf(size.x - name_width - 70.0, 10.0)
	var fraction: float = clampf(values[i] / max_value, 0.0, 1.0) if i < values.size() else 0.0
	return Rect2(name_width, i * (row_h + ROW_GAP), width * fraction, maxf(row_h, 4.0))


func _draw() -> void:
	var font: Font = get_theme_default_font()
	var width: float = maxf(size.x - name_width - 70.0, 10.0)
	for i in names.size():
		var rect: Rect2 = bar_rect(i)
		var colour: Color = colours[i] if i < colours.size() else StudioPalette.RECON
		draw_rect(Rect2(name_width, rect.position.y, width, rect.size.y), StudioPalette.GRID)
		draw_rect(rect, colour)
		var mid: float = rect.position.y + rect.size.y * 0.5 + FONT_SIZE * 0.35
		draw_string(
			font,
			Vector2(0, mid),
			names[i],
			HORIZONTAL_ALIGNMENT_LEFT,
			name_width - 6,
			FONT_SIZE,
			StudioPalette.TEXT
		)
		var text: String = value_format % values[i] if i < values.size() else ""
		draw_string(
			font,
			Vector2(rect.end.x + 6, mid),
			text,
			HORIZONTAL_ALIGNMENT_LEFT,
			-1,
			FONT_SIZE,
			StudioPalette.TEXT
		)
	if is_nan(marker) or names.is_empty():
		return
	var x: float = name_width + width * clampf(marker / max_value, 0.0, 1.0)
	var bottom: float = bar_rect(names.size() - 1).end.y
	draw_dashed_line(Vector2(x, 0), Vector2(x, bottom), StudioPalette.ACCENT, 1.5, 4.0)
	draw_string(
		font,
		Vector2(x + 3, bottom + FONT_SIZE + 2),
		marker_name,
		HORIZONTAL_ALIGNMENT_LEFT,
		-1,
		FONT_SIZE - 1,
		StudioPalette.ACCENT
	)
