class_name DataFlowMaps
extends RefCounted
## Turns a layer's activation values into one small image, drawn scaled as a texture (never
## pixel by pixel): a conv layer's channels as tiles of a colour ramp side by side, a dense
## layer's units as horizontal bars, one pixel row per unit. Pixels are written into a byte
## array and made into an Image in one call.

## Width in pixels of a bar image (a bar of the largest |value| spans it).
const BAR_WIDTH: int = 48
const POSITIVE := Color("#3fd0e0")
const NEGATIVE := Color("#ff9a3c")
const BAR_TRACK := Color(1.0, 1.0, 1.0, 0.05)
## Low to high: the Studio's ramp (dark violet, teal, green, yellow).
const RAMP: Array[Color] = [Color("#1d1740"), Color("#2f8fb0"), Color("#3fc47f"), Color("#f5e13b")]


## The ramp's colour at t in [0, 1].
static func ramp_color(t: float) -> Color:
	var x: float = clampf(t, 0.0, 1.0) * (RAMP.size() - 1)
	var i: int = mini(floori(x), RAMP.size() - 2)
	return RAMP[i].lerp(RAMP[i + 1], x - i)


## How many tiles a row of the atlas gets so that `count` tiles of aspect `tile` (w, h) are as
## large as possible inside `area`.
static func atlas_columns(count: int, tile: Vector2, area: Vector2) -> int:
	var best: int = 1
	var best_scale: float = 0.0
	for cols in range(1, maxi(count, 1) + 1):
		var rows: int = ceili(float(count) / cols)
		var scale: float = minf(area.x / (cols * tile.x), area.y / (rows * tile.y))
		if scale > best_scale:
			best_scale = scale
			best = cols
	return best


## Channels [c, h, w] of `values` as tiles of the ramp, `cols` to a row, one transparent pixel
## between tiles. One scale for the whole layer (0 at the bottom when nothing is negative, as
## after a ReLU), so channels compare.
static func map_atlas(values: PackedFloat32Array, shape: PackedInt32Array, cols: int) -> Image:
	var c: int = shape[0]
	var h: int = shape[1]
	var w: int = shape[2]
	cols = clampi(cols, 1, maxi(c, 1))
	var rows: int = ceili(float(c) / cols)
	var width: int = cols * (w + 1) - 1
	var height: int = rows * (h + 1) - 1
	var span: Vector2 = value_span(values)
	var bytes := PackedByteArray()
	bytes.resize(width * height * 4)
	bytes.fill(0)
	for ch in c:
		var x0: int = (ch % cols) * (w + 1)
		var y0: int = (ch / cols) * (h + 1)
		for y in h:
			for x in w:
				var value: float = values[(ch * h + y) * w + x]
				var color: Color = ramp_color((value - span.x) / (span.y - span.x))
				var at: int = ((y0 + y) * width + x0 + x) * 4
				bytes[at] = color.r8
				bytes[at + 1] = color.g8
				bytes[at + 2] = color.b8
				bytes[at + 3] = 255
	return Image.create_from_data(width, height, false, Image.FORMAT_RGBA8, bytes)


## The units of `values` as bars, one pixel row each; more than `max_rows` units are averaged in
## equal groups. Bars grow right from the left edge, or from the middle when any value is
## negative (negative ones in the other colour).
static func bars_image(values: PackedFloat32Array, max_rows: int) -> Image:
	var shown: PackedFloat32Array = group_means(values, maxi(max_rows, 1))
	var rows: int = maxi(shown.size(), 1)
	var bytes := PackedByteArray()
	bytes.resize(BAR_WIDTH * rows * 4)
	var span: Vector2 = value_span(shown)
	var signed: bool = span.x < 0.0
	var reach: float = maxf(absf(span.x), absf(span.y))
	var origin: int = BAR_WIDTH / 2 if signed else 0
	var room: int = BAR_WIDTH - origin
	for r in shown.size():
		var length: int = roundi(absf(shown[r]) / reach * room) if reach > 0.0 else 0
		var color: Color = POSITIVE if shown[r] >= 0.0 else NEGATIVE
		var lo: int = origin if shown[r] >= 0.0 else origin - length
		var hi: int = origin + length if shown[r] >= 0.0 else origin
		for x in BAR_WIDTH:
			var lit: Color = color if x >= lo and x < hi else BAR_TRACK
			var at: int = (r * BAR_WIDTH + x) * 4
			bytes[at] = lit.r8
			bytes[at + 1] = lit.g8
			bytes[at + 2] = lit.b8
			bytes[at + 3] = lit.a8
	return Image.create_from_data(BAR_WIDTH, rows, false, Image.FORMAT_RGBA8, bytes)


## `values` averaged in equal consecutive groups down to at most `count` values.
static func group_means(values: PackedFloat32Array, count: int) -> PackedFloat32Array:
	if values.size() <= count:
		return values
	var out := PackedFloat32Array()
	out.resize(count)
	for i in count:
		var start: int = i * values.size() / count
		var end: int = maxi((i + 1) * values.size() / count, start + 1)
		var total: float = 0.0
		for j in range(start, end):
			total += values[j]
		out[i] = total / (end - start)
	return out


## (low, high) of the colour scale: the values' range, from 0 when none is negative, never empty.
static func value_span(values: PackedFloat32Array) -> Vector2:
	if values.is_empty():
		return Vector2(0.0, 1.0)
	var lo: float = values[0]
	var hi: float = values[0]
	for v in values:
		lo = minf(lo, v)
		hi = maxf(hi, v)
	lo = minf(lo, 0.0)
	if hi - lo < 1e-12:
		hi = lo + 1.0
	return Vector2(lo, hi)
