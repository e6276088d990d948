class_name UseCaseTiles
extends Control
## Rows of tiles for the use-case pages: each row is a group of cells side by side (e.g. clean |
## noisy | denoised, or original | reconstruction), captioned underneath ("#12 · 18.3 dB"), the
## groups laid out in as many columns as gives the largest tiles. A cell is an [Image] (drawn
## with nearest filtering) or a [String] (vector data: its numbers, drawn as text). A row can be
## marked with a highlight colour (a frame around its group). Column titles sit above the top
## groups.

const GAP: float = 4.0
const GROUP_GAP: float = 14.0
const TITLE_H: float = 16.0
const CAPTION_H: float = 15.0
const FONT_SIZE: int = 12

## The column titles, one per cell of a row (may be empty).
var titles := PackedStringArray()
## The rows shown: each {"cells": Array (Image or String), "caption": String, "highlight": Color
## (optional; transparent or absent: none)}.
var rows: Array[Dictionary] = []
## The placeholder drawn while there are no rows ("" for none).
var placeholder: String = ""

var _textures: Dictionary = {}


func _ready() -> void:
	texture_filter = CanvasItem.TEXTURE_FILTER_NEAREST
	clip_contents = true
	resized.connect(queue_redraw)


## Shows `new_rows` under `new_titles` (see [member rows]).
func set_rows(new_titles: PackedStringArray, new_rows: Array[Dictionary]) -> void:
	titles = new_titles
	rows = new_rows
	_textures.clear()
	queue_redraw()


## Clears the tiles and shows `text` in their place.
func show_placeholder(text: String) -> void:
	placeholder = text
	set_rows(titles, [])


## How many cells hold an image or text now.
func cell_count() -> int:
	var n: int = 0
	for row: Dictionary in rows:
		n += (row.get("cells", []) as Array).size()
	return n


## Each cell's rectangle in this control, row after row (row r's cells first).
func cell_rects() -> Array[Rect2]:
	var out: Array[Rect2] = []
	var layout: Dictionary = _layout()
	if layout.is_empty():
		return out
	var per_row: int = layout["cells"]
	var tile: Vector2 = layout["tile"]
	var group_w: float = per_row * tile.x + (per_row - 1) * GAP
	for r in rows.size():
		var col: int = r % int(layout["columns"])
		var band: int = r / int(layout["columns"])
		var origin := Vector2(
			layout["left"] + col * (group_w + GROUP_GAP),
			TITLE_H + band * (tile.y + CAPTION_H + GAP * 2.0)
		)
		for c in (rows[r].get("cells", []) as Array).size():
			out.append(Rect2(origin + Vector2(c * (tile.x + GAP), 0.0), tile))
	return out


## The tile size and group columns that make the tiles largest: {"tile", "columns", "cells",
## "left"}; {} with no rows.
func _layout() -> Dictionary:
	if rows.is_empty():
		return {}
	var per_row: int = 1
	for row: Dictionary in rows:
		per_row = maxi(per_row, (row.get("cells", []) as Array).size())
	var aspect: float = _aspect()
	var best: Dictionary = {}
	for columns in range(1, rows.size() + 1):
		var bands: int = ceili(float(rows.size()) / columns)
		var across: float = (size.x - (columns - 1) * GROUP_GAP) / columns
		across = (across - (per_row - 1) * GAP) / per_row
		var down: float = (size.y - TITLE_H - bands * (CAPTION_H + GAP * 2.0)) / bands / aspect
		var side: float = floorf(minf(across, down))
		if best.is_empty() or side > float(best["side"]):
			best = {"side": side, "columns": columns}
	var tile := Vector2(maxf(best["side"], 4.0), maxf(best["side"], 4.0) * aspect)
	var columns: int = best["columns"]
	var group_w: float = per_row * tile.x + (per_row - 1) * GAP
	var left: float = (size.x - columns * group_w - (columns - 1) * GROUP_GAP) / 2.0
	return {"tile": tile, "columns": columns, "cells": per_row, "left": maxf(left, 0.0)}


## Height over width of the first image (1 for text cells).
func _aspect() -> float:
	for row: Dictionary in rows:
		for cell: Variant in row.get("cells", []):
			if cell is Image and (cell as Image).get_width() > 0:
				return float((cell as Image).get_height()) / (cell as Image).get_width()
	return 0.6


func _texture_of(cell: Image) -> ImageTexture:
	if not _textures.has(cell):
		_textures[cell] = ImageTexture.create_from_image(cell)
	return _textures[cell]


func _draw() -> void:
	var font: Font = get_theme_default_font()
	if rows.is_empty():
		if not placeholder.is_empty():
			draw_string(
				font,
				Vector2(8, size.y / 2.0),
				placeholder,
				HORIZONTAL_ALIGNMENT_CENTER,
				size.x - 16,
				FONT_SIZE + 2,
				StudioPalette.TEXT_DIM
			)
		return
	var rects: Array[Rect2] = cell_rects()
	var layout: Dictionary = _layout()
	var i: int = 0
	for r in rows.size():
		var cells: Array = rows[r].get("cells", [])
		if cells.is_empty():
			continue
		var first: Rect2 = rects[i]
		var last: Rect2 = rects[i + cells.size() - 1]
		if r < int(layout["columns"]):
			for c in mini(titles.size(), cells.size()):
				_draw_centered(font, titles[c], rects[i + c], -4.0, StudioPalette.TEXT_DIM)
		for cell: Variant in cells:
			_draw_cell(font, cell, rects[i])
			i += 1
		var group := Rect2(first.position, last.end - first.position)
		var mark: Color = rows[r].get("highlight", Color.TRANSPARENT)
		if mark.a > 0.0:
			draw_rect(group.grow(2.0), mark, false, 2.0)
		var caption: String = str(rows[r].get("caption", ""))
		var under := Rect2(group.position + Vector2(0, group.size.y + CAPTION_H - 3), group.size)
		_draw_centered(font, caption, under, 0.0, StudioPalette.TEXT)


func _draw_cell(font: Font, cell: Variant, rect: Rect2) -> void:
	if cell is Image:
		draw_texture_rect(_texture_of(cell), rect, false)
		return
	draw_rect(rect, StudioPalette.PANEL)
	var lines: PackedStringArray = str(cell).split("\n")
	var size_px: int = clampi(int(rect.size.y / maxf(lines.size(), 1) * 0.6), 8, FONT_SIZE)
	for k in lines.size():
		var at := Vector2(rect.position.x + 3, rect.position.y + (k + 1) * (size_px + 2))
		draw_string(
			font,
			at,
			lines[k],
			HORIZONTAL_ALIGNMENT_LEFT,
			rect.size.x - 6,
			size_px,
			StudioPalette.TEXT
		)


func _draw_centered(font: Font, text: String, rect: Rect2, dy: float, color: Color) -> void:
	if text.is_empty():
		return
	var at := Vector2(rect.position.x, rect.position.y + dy)
	draw_string(font, at, text, HORIZONTAL_ALIGNMENT_CENTER, rect.size.x, FONT_SIZE - 1, color)


## The cells of one reply array: an [Image] per row of a u8 [n, h, w(, c)] batch, or for f32
## [n, D] vector data a short text per row ("+0.52\n-0.31\n…", at most `max_values` numbers);
## [] for anything else.
static func cells_of(arr: Variant, max_values: int = 4) -> Array:
	var out: Array = []
	if not arr is Dictionary or not VaeStudioArray.validate(arr).is_empty():
		return out
	var batch: Dictionary = arr
	var shape: Array = batch["shape"]
	if batch["dtype"] == "u8" and shape.size() in [3, 4]:
		for i in int(shape[0]):
			var image: Image = VaeStudioArray.to_image(batch, i)
			if image == null:
				return []
			out.append(image)
		return out
	if batch["dtype"] == "f32" and shape.size() == 2:
		var flat: PackedFloat32Array = VaeStudioArray.to_float32(batch)
		var width: int = int(shape[1])
		for i in int(shape[0]):
			var parts: PackedStringArray = []
			for d in mini(width, max_values):
				parts.append("%+.2f" % flat[i * width + d])
			if width > max_values:
				parts.append("… (%d)" % width)
			out.append("\n".join(parts))
	return out


## The first `max_rows` rows of a `recons` stream message: {"indices": PackedInt32Array,
## "originals": their cells}; {} when the message has none (for pages that show originals of
## fixed test rows beside what an op made of them).
static func recons_rows(message: Dictionary, max_rows: int) -> Dictionary:
	var arr: Variant = message.get("indices")
	if not arr is Dictionary or not VaeStudioArray.validate(arr).is_empty():
		return {}
	var indices: PackedInt32Array = VaeStudioArray.to_int32(arr)
	var originals: Array = cells_of(message.get("originals"))
	var n: int = mini(indices.size(), max_rows)
	if n == 0 or originals.size() != indices.size():
		return {}
	return {"indices": indices.slice(0, n), "originals": originals.slice(0, n)}
