class_name DataFlowCanvas
extends Control
## The data-flow picture of one traced example, read left to right as GAN Lab's model overview:
## input → each encoder layer → the latent column (μ ± σ, ε, σ·ε, z, KL per dimension) → each
## decoder layer → reconstruction, joined by arrows, and the example's loss terms along the
## bottom. Conv layers show their channels as maps of a colour ramp, dense layers their units as
## bars; both are one texture each, made when a trace arrives or the size changes. Hovering a
## column tells its full name and statistics; the wheel over the latent column scrolls the
## dimensions when there are more than fit. What the last redraw drew is in its public fields.

const FONT_SIZE: int = 11
const SMALL: int = 10
const MARGIN: float = 8.0
## Space between columns, where the arrows run.
const GAP: float = 16.0
const HEADER_H: float = 30.0
const STATS_H: float = 40.0
const FOOTER_H: float = 46.0
const MAX_COLUMN_W: float = 150.0
const MIN_LATENT_W: float = 180.0
const MAX_LATENT_W: float = 380.0
const ARROW := Color(1.0, 1.0, 1.0, 0.35)

## The trace on show (null before the first).
var trace: DataFlowTrace
## The first latent dimension shown when there are more than fit.
var dim_offset: int = 0
## What the last redraw drew: one entry per column ({what, name, shape, drawn_as, rect}), the
## latent column's part ([method DataFlowLatent.draw]), label chips ({at, label, rect}) and the
## rectangle holding the picture (columns and arrows).
var columns_drawn: Array[Dictionary] = []
var latent_drawn: Dictionary = {}
var chips_drawn: Array[Dictionary] = []
var graph_rect := Rect2()
## Hashes of the images on show (input, each layer's texture, recon), in column order.
var image_hashes: Array[int] = []

var _columns: Array[Dictionary] = []
var _textures: Dictionary = {}
var _pseudo: Array[Texture2D] = []


func _ready() -> void:
	resized.connect(_rebuild)
	texture_filter = CanvasItem.TEXTURE_FILTER_NEAREST


## Shows `new_trace` (drawn at the next frame).
func show_trace(new_trace: DataFlowTrace) -> void:
	trace = new_trace
	_rebuild()


## The screen rectangle of column `i` ([] past the end), for tests and drivers.
func column_rect(i: int) -> Rect2:
	return _columns[i]["rect"] if i < _columns.size() else Rect2()


## The column widths for `count` ordinary columns and one latent column across `width`:
## (ordinary width, latent width). Ordinary columns share what the latent column leaves.
static func column_widths(count: int, width: float) -> Vector2:
	var latent: float = clampf(width * 0.3, MIN_LATENT_W, MAX_LATENT_W)
	var room: float = width - latent - GAP * count
	return Vector2(clampf(room / maxi(count, 1), 24.0, MAX_COLUMN_W), latent)


func _rebuild() -> void:
	_columns.clear()
	_textures.clear()
	_pseudo.clear()
	image_hashes.clear()
	if trace == null or not trace.error.is_empty():
		queue_redraw()
		return
	var plan: Array[Dictionary] = [{"what": "input"}]
	for layer in trace.encoder_layers():
		plan.append({"what": "layer", "layer": layer})
	plan.append({"what": "latent"})
	for layer in trace.decoder_layers():
		plan.append({"what": "layer", "layer": layer})
	plan.append({"what": "output"})
	var inner := Rect2(MARGIN, MARGIN, size.x - 2.0 * MARGIN, size.y - 2.0 * MARGIN - FOOTER_H)
	var widths: Vector2 = column_widths(plan.size() - 1, inner.size.x)
	var total: float = widths.x * (plan.size() - 1) + widths.y + GAP * (plan.size() - 1)
	var x: float = inner.position.x + maxf((inner.size.x - total) * 0.5, 0.0)
	graph_rect = Rect2(x, inner.position.y, minf(total, inner.size.x), inner.size.y)
	for column: Dictionary in plan:
		var w: float = widths.y if column["what"] == "latent" else widths.x
		column["rect"] = Rect2(x, inner.position.y, w, inner.size.y)
		column["pic"] = Rect2(x, inner.position.y + HEADER_H, w, inner.size.y - HEADER_H - STATS_H)
		_make_texture(column)
		_columns.append(column)
		x += w + GAP
	for image in trace.pseudo_images:
		_pseudo.append(ImageTexture.create_from_image(image))
	queue_redraw()


## The column's texture (its image scaled into the picture area when drawn).
func _make_texture(column: Dictionary) -> void:
	var pic: Rect2 = column["pic"]
	var image: Image = null
	match column["what"]:
		"input":
			image = trace.input_image
			if image == null:
				image = DataFlowMaps.bars_image(trace.input_values, int(pic.size.y))
		"output":
			image = trace.recon_image
			if image == null:
				image = DataFlowMaps.bars_image(trace.recon_values, int(pic.size.y))
		"layer":
			var layer: DataFlowLayer = column["layer"]
			if layer.is_map():
				var s: PackedInt32Array = layer.activation_shape
				var cols: int = DataFlowMaps.atlas_columns(
					s[0], Vector2(s[2] + 1, s[1] + 1), pic.size
				)
				image = DataFlowMaps.map_atlas(layer.activation, s, cols)
			else:
				image = DataFlowMaps.bars_image(layer.activation, int(pic.size.y))
	if image != null and not image.is_empty():
		image_hashes.append(hash(image.get_data()))
		_textures[_columns.size()] = ImageTexture.create_from_image(image)


## Where a texture of `tex_size` goes in `pic`: images and maps keep their aspect (centred);
## bars fill the area's width.
static func fit_rect(tex_size: Vector2, pic: Rect2, keep_aspect: bool) -> Rect2:
	if not keep_aspect:
		var h: float = minf(pic.size.y, maxf(tex_size.y * 6.0, 24.0))
		return Rect2(pic.position.x, pic.get_center().y - h * 0.5, pic.size.x, h)
	var scale: float = minf(pic.size.x / tex_size.x, pic.size.y / tex_size.y)
	var s: Vector2 = tex_size * scale
	return Rect2(pic.get_center() - s * 0.5, s)


func _draw() -> void:
	columns_drawn.clear()
	chips_drawn.clear()
	latent_drawn = {}
	if trace == null or not trace.error.is_empty() or _columns.is_empty():
		return
	var font: Font = get_theme_default_font()
	for i in _columns.size():
		var column: Dictionary = _columns[i]
		if i > 0:
			_draw_arrow(_columns[i - 1], column)
		if column["what"] == "latent":
			_draw_latent(column, font)
		else:
			_draw_column(i, column, font)
	_draw_chips(font)
	_draw_footer(font)


func _draw_arrow(from: Dictionary, to: Dictionary) -> void:
	var y: float = (to["pic"] as Rect2).get_center().y
	var a := Vector2((from["rect"] as Rect2).end.x + 2.0, y)
	var b := Vector2((to["rect"] as Rect2).position.x - 3.0, y)
	draw_line(a, b, ARROW, 1.5, true)
	draw_colored_polygon(
		PackedVector2Array([b + Vector2(1, 0), b + Vector2(-6, -4), b + Vector2(-6, 4)]), ARROW
	)


func _draw_column(i: int, column: Dictionary, font: Font) -> void:
	var rect: Rect2 = column["rect"]
	var pic: Rect2 = column["pic"]
	var title: String = ""
	var detail: String = ""
	var stats: PackedStringArray = []
	var entry: Dictionary = {"what": column["what"], "rect": _ints(rect)}
	var keep_aspect: bool = true
	match column["what"]:
		"input", "output":
			title = "input" if column["what"] == "input" else "recon"
			var image: Image = trace.input_image if title == "input" else trace.recon_image
			keep_aspect = image != null
			detail = "%d×%d" % [image.get_width(), image.get_height()] if image != null else ""
			if image == null:
				var values: PackedFloat32Array = trace.input_values
				if title != "input":
					values = trace.recon_values
				detail = "%d values" % values.size()
				stats = _value_lines(values)
			elif title == "input" and trace.index >= 0:
				stats.append("row %d" % trace.index)
		"layer":
			var layer: DataFlowLayer = column["layer"]
			title = layer.short_name()
			detail = layer.shape_text()
			keep_aspect = layer.is_map()
			stats = layer_stats(layer, rect.size.x >= 64.0)
			entry.merge(
				{
					"name": layer.name,
					"kind": layer.kind,
					"shape": Array(layer.shape),
					"drawn_as": "map" if layer.is_map() else "bars"
				}
			)
	_fit_text(
		font,
		Vector2(rect.position.x, rect.position.y + 11.0),
		title,
		rect.size.x,
		FONT_SIZE,
		StudioPalette.TEXT
	)
	_fit_text(
		font,
		Vector2(rect.position.x, rect.position.y + 24.0),
		detail,
		rect.size.x,
		SMALL,
		StudioPalette.TEXT_DIM
	)
	var texture: Texture2D = _textures.get(i)
	if texture != null:
		var at: Rect2 = fit_rect(texture.get_size(), pic, keep_aspect)
		draw_rect(at.grow(1.0), StudioPalette.GRID_AXIS, false, 1.0)
		draw_texture_rect(texture, at, false)
		entry["texture_rect"] = _ints(at)
	for k in stats.size():
		var y: float = pic.end.y + 12.0 + 12.0 * k
		_fit_text(
			font, Vector2(rect.position.x, y), stats[k], rect.size.x, SMALL, StudioPalette.TEXT_DIM
		)
	columns_drawn.append(entry)


func _draw_latent(column: Dictionary, font: Font) -> void:
	var rect: Rect2 = column["rect"]
	var pic: Rect2 = column["pic"]
	var title: String = "latent · %d dims" % trace.latent_dim()
	_fit_text(
		font,
		Vector2(rect.position.x, rect.position.y + 11.0),
		title,
		rect.size.x,
		FONT_SIZE,
		StudioPalette.TEXT
	)
	var detail: String = "z = μ + σ·ε, ε ~ N(0, I)"
	_fit_text(
		font,
		Vector2(rect.position.x, rect.position.y + 24.0),
		detail,
		rect.size.x,
		SMALL,
		StudioPalette.TEXT_DIM
	)
	latent_drawn = DataFlowLatent.draw(self, pic, trace, dim_offset, _pseudo)
	dim_offset = int(latent_drawn["dims"][0]) if not latent_drawn["dims"].is_empty() else 0
	var entry: Dictionary = {"what": "latent", "rect": _ints(rect)}
	columns_drawn.append(entry)


## The class that entered the model, as a chip where it enters: the first encoder column and
## the first decoder column (conditional models only).
func _draw_chips(font: Font) -> void:
	if trace.label < 0 or not trace.model.begins_with("cvae"):
		return
	var first_decoder: int = 2 + trace.encoder_layers().size()
	for at: int in [1, first_decoder]:
		if at >= _columns.size():
			continue
		var pic: Rect2 = _columns[at]["pic"]
		var text: String = "y = %d" % trace.label
		var w: float = font.get_string_size(text, HORIZONTAL_ALIGNMENT_LEFT, -1, SMALL).x + 10.0
		var chip := Rect2(pic.position.x - GAP + 2.0, pic.position.y - 2.0, w, 16.0)
		var color: Color = StudioPalette.label_color(trace.label)
		draw_rect(chip, color)
		draw_string(
			font,
			chip.position + Vector2(5.0, 12.0),
			text,
			HORIZONTAL_ALIGNMENT_LEFT,
			-1,
			SMALL,
			StudioPalette.BACKGROUND
		)
		var where: String = "encoder" if at == 1 else "decoder"
		chips_drawn.append({"at": where, "label": trace.label, "rect": _ints(chip)})


## The example's loss terms along the bottom: the sum in words and a bar split into its terms.
func _draw_footer(font: Font) -> void:
	var y: float = size.y - MARGIN - FOOTER_H + 14.0
	var beta: float = float(trace.loss.get("beta", 1.0))
	var text: String = (
		"this example: loss %.2f = recon %.2f + β %.2f × KL %.2f nats"
		% [trace.loss["loss"], trace.loss["recon"], beta, trace.loss["kl"]]
	)
	var extras: PackedStringArray = []
	for key: String in trace.loss:
		if not key in ["loss", "recon", "kl", "beta"]:
			extras.append("%s %s" % [key, String.num(trace.loss[key], 3)])
	if not extras.is_empty():
		text += " · " + ", ".join(extras)
	var where: String = "step %d · %s · %s" % [trace.step, trace.model, trace.run]
	draw_string(
		font,
		Vector2(MARGIN, y),
		text,
		HORIZONTAL_ALIGNMENT_LEFT,
		size.x - 2.0 * MARGIN,
		FONT_SIZE,
		StudioPalette.TEXT
	)
	draw_string(
		font,
		Vector2(MARGIN, y),
		where,
		HORIZONTAL_ALIGNMENT_RIGHT,
		size.x - 2.0 * MARGIN,
		SMALL,
		StudioPalette.TEXT_DIM
	)
	var recon: float = maxf(float(trace.loss["recon"]), 0.0)
	var kl: float = maxf(beta * float(trace.loss["kl"]), 0.0)
	var bar := Rect2(MARGIN, y + 8.0, size.x - 2.0 * MARGIN, 10.0)
	var share: float = recon / maxf(recon + kl, 1e-9)
	draw_rect(Rect2(bar.position, Vector2(bar.size.x * share, bar.size.y)), StudioPalette.RECON)
	draw_rect(
		Rect2(
			bar.position + Vector2(bar.size.x * share, 0),
			Vector2(bar.size.x * (1.0 - share), bar.size.y)
		),
		StudioPalette.KL
	)


func _fit_text(
	font: Font, at: Vector2, text: String, width: float, font_size: int, color: Color
) -> void:
	draw_string(
		font,
		at,
		text,
		HORIZONTAL_ALIGNMENT_LEFT,
		width,
		font_size,
		color,
		TextServer.JUSTIFICATION_NONE
	)


## The three statistics lines under a layer: "mean 0.12", "std 0.40", "zero 61 %", or shorter
## ("m 0.12", "s 0.4", "0: 61%") for a narrow column.
static func layer_stats(layer: DataFlowLayer, wide: bool) -> PackedStringArray:
	var zeros: int = roundi(100.0 * layer.frac_zero)
	if wide:
		return ["mean %.2f" % layer.mean, "std %.2f" % layer.std, "zero %d %%" % zeros]
	return ["m %s" % _short(layer.mean), "s %s" % _short(layer.std), "0: %d%%" % zeros]


## A number in at most about five characters: 0.12, -3.7, 12k.
static func _short(value: float) -> String:
	if absf(value) >= 1000.0:
		return "%dk" % roundi(value / 1000.0)
	return String.num(value, 2 if absf(value) < 10.0 else 1 if absf(value) < 100.0 else 0)


## A rectangle as [x, y, width, height] in whole pixels, for what-was-drawn fields.
static func _ints(rect: Rect2) -> Array[int]:
	return [
		roundi(rect.position.x), roundi(rect.position.y), roundi(rect.size.x), roundi(rect.size.y)
	]


## The first values of vector data, one a line.
static func _value_lines(values: PackedFloat32Array) -> PackedStringArray:
	var lines: PackedStringArray = []
	for i in mini(values.size(), 3):
		lines.append("%+.3f" % values[i])
	return lines


func _gui_input(event: InputEvent) -> void:
	var wheel := event as InputEventMouseButton
	if wheel == null or not wheel.pressed or latent_drawn.is_empty():
		return
	if not wheel.button_index in [MOUSE_BUTTON_WHEEL_UP, MOUSE_BUTTON_WHEEL_DOWN]:
		return
	var step: int = maxi(latent_drawn["dims"].size() / 4, 1)
	dim_offset += step if wheel.button_index == MOUSE_BUTTON_WHEEL_DOWN else -step
	dim_offset = maxi(dim_offset, 0)
	queue_redraw()
	accept_event()


func _get_tooltip(at: Vector2) -> String:
	for column: Dictionary in _columns:
		if not (column["rect"] as Rect2).has_point(at):
			continue
		if column["what"] == "layer":
			var layer: DataFlowLayer = column["layer"]
			return (
				"%s (%s): output %s\nmean %.4f · std %.4f · %.1f %% zeros"
				% [
					layer.name,
					layer.kind,
					layer.shape_text(),
					layer.mean,
					layer.std,
					100.0 * layer.frac_zero
				]
			)
		if column["what"] == "latent":
			return (
				"μ ± σ: the posterior q(z|x); ε: the noise (same seed, same ε); z = μ + σ·ε."
				+ "\nWheel: scroll the dimensions."
			)
		return (
			"the example (row %d)" % trace.index
			if column["what"] == "input"
			else "the decoder's mean at z"
		)
	return ""
