class_name ExportPictures
extends RefCounted
## Pictures and tables of what the Studio shows, made from the data the panels hold (pure
## functions, so they work while those panels are hidden and can be tested without a screen):
## the latent plane drawn again into an Image at the view's size, pan and zoom (background,
## grid, axes through 0, points coloured as the point shader colours them), images scaled up by
## nearest so pixels stay crisp, a strip of images side by side, and the points as CSV.

## Points are drawn with this opacity, as the latent view draws them.
const POINT_ALPHA: float = 0.8
## Value colours (loss, a dimension) use this many steps of the ramp.
const RAMP_STEPS: int = 32
const STRIP_GAP: int = 4
const STRIP_BACKGROUND := Color("#1a1f27")


## The latent plane of `frame` as a `size` picture, centred on `center` (axes units) at `ppu`
## pixels per unit, grid lines every `step` units, points `point_px` wide.
static func latent_image(
	frame: StudioLatentFrame,
	size: Vector2i,
	center: Vector2,
	ppu: float,
	step: float,
	point_px: float = 5.0
) -> Image:
	var image := Image.create_empty(maxi(size.x, 1), maxi(size.y, 1), false, Image.FORMAT_RGBA8)
	image.fill(StudioPalette.BACKGROUND)
	var to_px: Callable = func(p: Vector2) -> Vector2:
		return Vector2(size) * 0.5 + Vector2(p.x - center.x, center.y - p.y) * ppu
	if step > 0.0 and ppu > 0.0:
		_draw_grid(image, to_px, center, ppu, step)
	if frame == null or frame.count == 0:
		return image
	var stamps: Dictionary = {}
	var side: int = maxi(ceili(point_px), 2)
	var half := Vector2(side, side) * 0.5
	var whole := Rect2i(0, 0, side, side)
	var ramp: Gradient = StudioPalette.make_ramp_texture().gradient
	var values := PackedFloat32Array()
	var lo: float = 0.0
	var span: float = 1.0
	if frame.has_color_values():
		values = frame.color_bytes.to_float32_array()
		var extent: Vector2 = frame.color_range()
		lo = extent.x
		span = maxf(extent.y - extent.x, 1e-12)
	for i in frame.count:
		var key: int = -1 - frame.label_of(i)
		var color: Color = StudioPalette.label_color(frame.label_of(i))
		if not values.is_empty():
			var t: float = clampf((values[i] - lo) / span, 0.0, 1.0)
			key = roundi(t * (RAMP_STEPS - 1))
			color = ramp.sample(float(key) / (RAMP_STEPS - 1))
		if not stamps.has(key):
			stamps[key] = _stamp(color, side)
		var at: Vector2 = to_px.call(frame.point_2d(i)) - half
		image.blend_rect(stamps[key], whole, Vector2i(roundi(at.x), roundi(at.y)))
	image.convert(Image.FORMAT_RGB8)
	return image


## The latent view's grid spacing at `ppu` pixels per unit: 1, 2 or 5 times a power of ten, at
## least 72 pixels (as [method LatentView.tick_step]).
static func tick_step(ppu: float) -> float:
	var raw: float = 72.0 / maxf(ppu, 1e-9)
	var power: float = pow(10.0, floorf(log(raw) / log(10.0)))
	for mult: float in [1.0, 2.0, 5.0]:
		if mult * power >= raw:
			return mult * power
	return 10.0 * power


## `image` scaled up by a whole factor, nearest, so its longer side is at least `min_side`.
static func scaled(image: Image, min_side: int) -> Image:
	var out: Image = image.duplicate()
	var longer: int = maxi(image.get_width(), image.get_height())
	var factor: int = maxi(1, ceili(float(min_side) / maxf(longer, 1)))
	if factor > 1:
		out.resize(
			image.get_width() * factor, image.get_height() * factor, Image.INTERPOLATE_NEAREST
		)
	return out


## `images` side by side, each scaled up by nearest to at least `min_tile` pixels, STRIP_GAP
## apart on the panel colour; null when there are none.
static func strip(images: Array[Image], min_tile: int = 64) -> Image:
	var tiles: Array[Image] = []
	for image in images:
		if image != null and not image.is_empty():
			var tile: Image = scaled(image, min_tile)
			tile.convert(Image.FORMAT_RGB8)
			tiles.append(tile)
	if tiles.is_empty():
		return null
	var w: int = tiles[0].get_width()
	var h: int = tiles[0].get_height()
	var out := Image.create_empty(
		tiles.size() * (w + STRIP_GAP) + STRIP_GAP, h + 2 * STRIP_GAP, false, Image.FORMAT_RGB8
	)
	out.fill(STRIP_BACKGROUND)
	for i in tiles.size():
		var at := Vector2i(STRIP_GAP + i * (w + STRIP_GAP), STRIP_GAP)
		out.blit_rect(tiles[i], Rect2i(0, 0, w, h), at)
	return out


## The points of `frame`, one CSV row each: point, data-set row, label, the coordinates on its
## axes (named as the frame names them), the colour value when the points are coloured by one,
## and whether the point lies inside `view` (axes units; an empty rect counts every point in).
static func points_csv(frame: StudioLatentFrame, view: Rect2 = Rect2()) -> String:
	var header: PackedStringArray = ["point", "row", "label"]
	for axis in frame.axis_count:
		header.append(_csv_name(frame.axes[axis]))
	var values := PackedFloat32Array()
	if frame.has_color_values():
		values = frame.color_bytes.to_float32_array()
		header.append(_csv_name(frame.color_by))
	header.append("in_view")
	var lines: PackedStringArray = [",".join(header)]
	var coords: PackedFloat32Array = frame.coords()
	for i in frame.count:
		var label: int = frame.label_of(i)
		var cells: PackedStringArray = [
			str(i), str(frame.row_of(i)), "" if label < 0 else str(label)
		]
		for axis in frame.axis_count:
			cells.append(String.num(coords[i * frame.axis_count + axis], 6))
		if not values.is_empty():
			cells.append(String.num(values[i], 6))
		var inside: bool = not view.has_area() or view.has_point(frame.point_2d(i))
		cells.append("1" if inside else "0")
		lines.append(",".join(cells))
	return "\n".join(lines) + "\n"


## Writes `image` as a PNG at `path` (its folder made first); returns the problem or "".
static func save_png(image: Image, path: String) -> String:
	if image == null or image.is_empty():
		return "there is no picture to save"
	var made: Error = DirAccess.make_dir_recursive_absolute(path.get_base_dir())
	var saved: Error = image.save_png(path) if made == OK else made
	return "" if saved == OK else "cannot write %s (%s)" % [path, error_string(saved)]


## Writes `text` at `path` (its folder made first); returns the problem or "".
static func save_text(text: String, path: String) -> String:
	var made: Error = DirAccess.make_dir_recursive_absolute(path.get_base_dir())
	var file: FileAccess = FileAccess.open(path, FileAccess.WRITE) if made == OK else null
	if file == null:
		var why: Error = made if made != OK else FileAccess.get_open_error()
		return "cannot write %s (%s)" % [path, error_string(why)]
	file.store_string(text)
	file.close()
	return ""


## Grid lines every `step` units and the axes through 0, as the latent view draws them.
static func _draw_grid(
	image: Image, to_px: Callable, center: Vector2, ppu: float, step: float
) -> void:
	var size := Vector2(image.get_size())
	var lo: Vector2 = center - Vector2(size.x, size.y) * 0.5 / ppu
	var hi: Vector2 = center + Vector2(size.x, size.y) * 0.5 / ppu
	var line: Color = StudioPalette.BACKGROUND.lerp(Color.WHITE, StudioPalette.GRID.a)
	var axis: Color = StudioPalette.BACKGROUND.lerp(Color.WHITE, StudioPalette.GRID_AXIS.a)
	for i in range(ceili(lo.x / step), floori(hi.x / step) + 1):
		var x: int = roundi((to_px.call(Vector2(i * step, 0.0)) as Vector2).x)
		image.fill_rect(Rect2i(x, 0, 1, image.get_height()), axis if i == 0 else line)
	for i in range(ceili(lo.y / step), floori(hi.y / step) + 1):
		var y: int = roundi((to_px.call(Vector2(0.0, i * step)) as Vector2).y)
		image.fill_rect(Rect2i(0, y, image.get_width(), 1), axis if i == 0 else line)


## A round point of `color`, soft at the edge as the point shader draws it.
static func _stamp(color: Color, side: int) -> Image:
	var stamp := Image.create_empty(side, side, false, Image.FORMAT_RGBA8)
	for y in side:
		for x in side:
			var r: float = (
				Vector2(x + 0.5 - side * 0.5, y + 0.5 - side * 0.5).length() / (side * 0.5)
			)
			var edge: float = 1.0 - smoothstep(0.6, 1.0, r)
			stamp.set_pixel(x, y, Color(color, color.a * POINT_ALPHA * edge))
	return stamp


## A CSV header cell: commas and quotes would break the row.
static func _csv_name(text: String) -> String:
	return text.replace(",", " ").replace('"', "'")
