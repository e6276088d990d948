class_name UseCaseFeaturesConfusion
extends Control
## A confusion matrix as a heat map: true class down, predicted class across, each row
## normalised to the fraction of that class's rows (so classes of any size read alike), the
## class names on both axes and the diagonal's fractions written in.

const FONT_SIZE: int = 11
const AXIS: float = 56.0

## The counts [K × K] row-major, the row-normalised fractions and the class names.
var counts := PackedInt32Array()
var fractions := PackedFloat32Array()
var classes: int = 0
var names := PackedStringArray()


func _ready() -> void:
	resized.connect(queue_redraw)


func set_matrix(matrix: PackedInt32Array, k: int, class_names: PackedStringArray) -> void:
	counts = matrix
	classes = k
	names = class_names
	fractions = normalise(matrix, k)
	queue_redraw()


## Each row divided by its sum (a row without rows stays 0): [K × K] row-major.
static func normalise(matrix: PackedInt32Array, k: int) -> PackedFloat32Array:
	var out := PackedFloat32Array()
	out.resize(k * k)
	for r in k:
		var total: int = 0
		for c in k:
			total += matrix[r * k + c]
		for c in k:
			out[r * k + c] = float(matrix[r * k + c]) / total if total > 0 else 0.0
	return out


## The heat map's square of cells, in local coordinates.
func cells_rect() -> Rect2:
	var side: float = maxf(minf(size.x - AXIS, size.y - AXIS), 10.0)
	return Rect2(AXIS, AXIS * 0.5, side, side)


func _draw() -> void:
	if classes <= 0:
		return
	var font: Font = get_theme_default_font()
	var area: Rect2 = cells_rect()
	var cell: float = area.size.x / classes
	var ramp: Gradient = (StudioPalette.make_ramp_texture()).gradient
	for r in classes:
		for c in classes:
			var f: float = fractions[r * classes + c]
			var rect := Rect2(area.position + Vector2(c, r) * cell, Vector2(cell, cell))
			var colour: Color = ramp.sample(f) if f > 0.0 else StudioPalette.PANEL
			draw_rect(rect.grow(-0.5), colour)
			if r == c and cell >= 22.0:
				var text: String = "%d" % roundi(f * 100.0)
				draw_string(
					font,
					rect.position + Vector2(0, cell * 0.5 + 4),
					text,
					HORIZONTAL_ALIGNMENT_CENTER,
					cell,
					FONT_SIZE - 1,
					Color.BLACK
				)
	for i in classes:
		var name: String = names[i] if i < names.size() else str(i)
		var y: float = area.position.y + (i + 0.5) * cell + 4
		draw_string(
			font,
			Vector2(0, y),
			name,
			HORIZONTAL_ALIGNMENT_RIGHT,
			AXIS - 6,
			FONT_SIZE,
			StudioPalette.TEXT
		)
		var x: float = area.position.x + i * cell
		draw_string(
			font,
			Vector2(x, area.end.y + FONT_SIZE + 4),
			name,
			HORIZONTAL_ALIGNMENT_CENTER,
			cell,
			FONT_SIZE,
			StudioPalette.TEXT
		)
	draw_string(
		font,
		Vector2(area.position.x, area.position.y - 6),
		"predicted →  (rows: true class)",
		HORIZONTAL_ALIGNMENT_LEFT,
		-1,
		FONT_SIZE,
		StudioPalette.TEXT_DIM
	)
