class_name DashboardRecons
extends VBoxContainer
## The `recons` stream: the backend's fixed test rows (top) above the model's reconstructions of
## them (bottom), refreshed as they arrive, so reconstruction quality is watched while it trains.
## Vector data (f32 [n, D]) shows each original as a dot joined to its reconstruction (a ring)
## on the first two coordinates.

const GAP: float = 3.0
## Room under each band for the rows' indices.
const LABEL_H: float = 11.0
const STRIP_HEIGHT: float = 96.0

## The tiles of the newest message: tiles_from().
var shown: Dictionary = {}
## How many `recons` messages were drawn.
var updates: int = 0
var strip: Control
## "large": the page gives the strip the room the chart had (DashboardView lays it out), and
## the tiles go in bands.
var large_toggle: CheckBox

var _header: Label
var _original_textures: Array[ImageTexture] = []
var _recon_textures: Array[ImageTexture] = []


func _ready() -> void:
	_header = DashboardSection.add_header(self, "Reconstructions")
	var top: HBoxContainer = _header.get_parent()
	large_toggle = CheckBox.new()
	large_toggle.text = "large"
	large_toggle.tooltip_text = "Bigger tiles (the chart above gives up the room)"
	top.add_child(large_toggle)
	strip = Control.new()
	strip.name = "Strip"
	strip.size_flags_vertical = Control.SIZE_EXPAND_FILL
	strip.custom_minimum_size = Vector2(200, STRIP_HEIGHT)
	strip.texture_filter = CanvasItem.TEXTURE_FILTER_NEAREST
	strip.draw.connect(_draw_strip)
	strip.resized.connect(strip.queue_redraw)
	add_child(strip)
	StudioSession.recons_received.connect(_show)
	StudioSession.run_changed.connect(func(_run: String) -> void: _show({}))
	_show(StudioSession.recons)


## The tiles of a `recons` message: {"indices", "originals" and "recons" (Array[Image] for image
## data), "original_values" and "recon_values" (PackedFloat32Array [n·D] for vector data, with
## "width" D), "error"}.
static func tiles_from(message: Dictionary) -> Dictionary:
	var out: Dictionary = {
		"indices": PackedInt32Array(),
		"originals": [],
		"recons": [],
		"original_values": PackedFloat32Array(),
		"recon_values": PackedFloat32Array(),
		"width": 0,
		"error": ""
	}
	var arrays: Array = [message.get("indices"), message.get("originals"), message.get("recons")]
	for arr: Variant in arrays:
		if not arr is Dictionary or not VaeStudioArray.validate(arr).is_empty():
			out["error"] = "the recons message needs indices, originals and recons arrays"
			return out
	var originals: Dictionary = arrays[1]
	var recons: Dictionary = arrays[2]
	out["indices"] = VaeStudioArray.to_int32(arrays[0])
	var n: int = out["indices"].size()
	if originals["shape"] != recons["shape"] or int(originals["shape"][0]) != n:
		out["error"] = (
			"originals %s and recons %s must both be [%d, ...]"
			% [originals["shape"], recons["shape"], n]
		)
		return out
	if originals["dtype"] == "f32" and originals["shape"].size() == 2:
		out["original_values"] = VaeStudioArray.to_float32(originals)
		out["recon_values"] = VaeStudioArray.to_float32(recons)
		out["width"] = int(originals["shape"][1])
		return out
	if originals["dtype"] != "u8" or recons["dtype"] != "u8":
		out["error"] = "originals and recons must be u8 images or f32 [n, D] values"
		return out
	for i in n:
		out["originals"].append(VaeStudioArray.to_image(originals, i))
		out["recons"].append(VaeStudioArray.to_image(recons, i))
	return out


## Each tile's rectangle in the strip ([] for vectors): the rows in bands of `cols`, each band
## an originals row above its reconstructions row; rects[2k] is row k's original, rects[2k + 1]
## its reconstruction. The band count that gives the largest tiles wins.
func tile_rects() -> Array[Rect2]:
	var rects: Array[Rect2] = []
	var n: int = _original_textures.size()
	if n == 0:
		return rects
	var image: Vector2 = _original_textures[0].get_size()
	var aspect: float = image.y / image.x
	var best: Vector2 = Vector2(0.0, n)  # (tile width, columns)
	for bands in range(1, 5):
		var cols: int = ceili(float(n) / bands)
		var across: float = (strip.size.x - GAP * (cols - 1)) / cols
		var down: float = (strip.size.y - bands * (LABEL_H + GAP * 2.0)) / (2.0 * bands) / aspect
		if minf(across, down) > best.x:
			best = Vector2(minf(across, down), cols)
	var cols: int = int(best.y)
	var tile := Vector2(best.x, best.x * aspect)
	var left: float = (strip.size.x - cols * tile.x - GAP * (cols - 1)) / 2.0
	for i in n:
		var band_y: float = floorf(float(i) / cols) * (2.0 * tile.y + GAP * 2.0 + LABEL_H)
		var at := Vector2(left + (i % cols) * (tile.x + GAP), band_y)
		rects.append(Rect2(at, tile))
		rects.append(Rect2(at + Vector2(0.0, tile.y + GAP), tile))
	return rects


func _show(message: Dictionary) -> void:
	shown = tiles_from(message) if not message.is_empty() else {}
	_original_textures.clear()
	_recon_textures.clear()
	if shown.is_empty():
		_header.text = "waiting for the recons stream…"
	elif not str(shown["error"]).is_empty():
		_header.text = str(shown["error"])
	else:
		updates += 1
		for image: Image in shown["originals"]:
			_original_textures.append(ImageTexture.create_from_image(image))
		for image: Image in shown["recons"]:
			_recon_textures.append(ImageTexture.create_from_image(image))
		_header.text = (
			"%d fixed test rows (top) and their reconstructions (bottom) · step %s"
			% [shown["indices"].size(), str(message.get("step", "?"))]
		)
	strip.queue_redraw()


func _draw_strip() -> void:
	strip.draw_rect(Rect2(Vector2.ZERO, strip.size), StudioPalette.BACKGROUND)
	if shown.is_empty() or not str(shown["error"]).is_empty():
		return
	if int(shown["width"]) > 0:
		_draw_vectors()
		return
	var rects: Array[Rect2] = tile_rects()
	var font: Font = strip.get_theme_default_font()
	for i in _original_textures.size():
		var original: Rect2 = rects[2 * i]
		var recon: Rect2 = rects[2 * i + 1]
		strip.draw_texture_rect(_original_textures[i], original, false)
		strip.draw_texture_rect(_recon_textures[i], recon, false)
		strip.draw_string(
			font,
			Vector2(original.position.x, recon.end.y + LABEL_H - 1.0),
			"#%d" % shown["indices"][i],
			HORIZONTAL_ALIGNMENT_CENTER,
			original.size.x,
			9,
			StudioPalette.TEXT_DIM
		)


## Vector data: originals as dots, reconstructions as rings, a line between each pair, on the
## first two coordinates (one coordinate: on a line).
func _draw_vectors() -> void:
	var width: int = shown["width"]
	var a: PackedFloat32Array = shown["original_values"]
	var b: PackedFloat32Array = shown["recon_values"]
	var lo := Vector2(INF, INF)
	var hi := Vector2(-INF, -INF)
	var points: Array[Vector2] = []
	for values: PackedFloat32Array in [a, b]:
		for i in values.size() / width:
			var p := Vector2(values[i * width], values[i * width + 1] if width > 1 else 0.0)
			points.append(p)
			lo = Vector2(minf(lo.x, p.x), minf(lo.y, p.y))
			hi = Vector2(maxf(hi.x, p.x), maxf(hi.y, p.y))
	var area := Rect2(Vector2(8, 8), strip.size - Vector2(16, 16))
	var span: Vector2 = (hi - lo).max(Vector2(1e-6, 1e-6))
	var n: int = points.size() / 2
	for i in n:
		var p: Vector2 = area.position + (points[i] - lo) / span * area.size
		var q: Vector2 = area.position + (points[n + i] - lo) / span * area.size
		strip.draw_line(p, q, StudioPalette.GRID_AXIS, 1.0)
		strip.draw_circle(p, 3.0, StudioPalette.RECON)
		strip.draw_arc(q, 4.0, 0.0, TAU, 12, StudioPalette.KL, 1.5)
