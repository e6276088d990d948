class_name GridPanel
extends PanelContainer
## The manifold grid (Kingma & Welling 2014, fig. 4): n × n decodes over an extent of the latent
## plane's first two axes, from one `decode` request, shown as one mosaic. Each tile's point on
## the plane becomes a full z through the frame's basis and the session's anchor (protocol
## §6.1). With "auto" it is decoded again as new latent frames arrive, at most twice a second,
## so the figure follows training. What it shows is in its public fields.

## A reply of this panel's `decode` request was shown; when `ok` is false [member error] says why.
signal mosaic_shown(ok: bool)

const MIN_N: int = 3
const MAX_N: int = 16
## Auto refreshes are at least this far apart.
const AUTO_INTERVAL_MS: int = 500
## Half-widths of the fixed extents of the extent menu (index 0 is the data's spread).
const FIXED_EXTENTS: Array[float] = [0.0, 2.0, 3.0]
## Pixels (of the decoded images) between tiles, and their colour.
const TILE_GAP: int = 1
const GAP_COLOR := Color(0.2, 0.22, 0.26)

## Tiles per side of the next request.
var n: int = 8
## Whether new latent frames decode the grid again.
var auto: bool = true
## The extent of the last request on the first two axes (y up: the top row is the highest y).
var extent := Rect2()
## The args of the last `decode` request sent.
var last_args: Dictionary = {}
## The last mosaic (n × n tiles of tile_size pixels, TILE_GAP pixels apart) and its n.
var mosaic: Image
var mosaic_n: int = 0
var tile_size := Vector2i.ZERO
var results_shown: int = 0
var message: String = ""
## The last failure as shown ("" after a success).
var error: String = ""
## True while a `decode` request waits for its reply.
var busy: bool = false

var _extent_choice: int = 0
## The run whose decodes came back as vector data: no auto refreshes for it.
var _vector_run: String = ""
var _frame_waiting: bool = false
var _sent_ms: int = 0
var _sent_n: int = 0
var _texture: ImageTexture

@onready var _n_spin: SpinBox = $Rows/Header/NSpin
@onready var _extent_option: OptionButton = $Rows/Header/ExtentOption
@onready var _auto_check: CheckBox = $Rows/Header/AutoCheck
@onready var _refresh_button: Button = $Rows/Header/RefreshButton
@onready var _extent_label: Label = $Rows/Extent
@onready var _mosaic_rect: TextureRect = $Rows/Frame/Mosaic
@onready var _placeholder: Label = $Rows/Frame/Placeholder
@onready var _message: Label = $Rows/Message


func _ready() -> void:
	_n_spin.min_value = MIN_N
	_n_spin.max_value = MAX_N
	_n_spin.value = n
	_auto_check.button_pressed = auto
	_n_spin.value_changed.connect(_on_n_changed)
	_extent_option.item_selected.connect(_on_extent_selected)
	_auto_check.toggled.connect(set_auto)
	_refresh_button.pressed.connect(refresh)
	visibility_changed.connect(_on_visibility_changed)
	StudioSession.latent_received.connect(_on_latent_received)


func _process(_delta: float) -> void:
	if not _frame_waiting or busy or not is_visible_in_tree():
		return
	if mosaic_n > 0 and Time.get_ticks_msec() - _sent_ms < AUTO_INTERVAL_MS:
		return
	_frame_waiting = false
	refresh()


## Decodes the n × n grid over the newest latent frame's plane now.
func refresh() -> void:
	var frame: StudioLatentFrame = StudioSession.latent
	if busy:
		_frame_waiting = true
		return
	if frame == null or frame.count == 0 or frame.latent_dim == 0:
		_show("The grid is decoded once the first latent frame is in.", StudioPalette.TEXT_DIM)
		return
	extent = _chosen_extent(frame)
	var points: Array[Vector2] = tile_points(extent, n)
	var z := PackedFloat32Array()
	for p in points:
		z.append_array(frame.to_z(p, StudioSession.decode_anchor))
	var rows: int = points.size()
	var args: Dictionary = {"z": VaeStudioArray.from_float32(z, [rows, frame.latent_dim])}
	if StudioSession.is_conditional():
		var labels := PackedInt32Array()
		labels.resize(rows)
		labels.fill(clampi(StudioSession.decode_label, 0, StudioSession.num_classes() - 1))
		args["labels"] = VaeStudioArray.from_int32(labels, [rows])
	last_args = args
	busy = true
	_sent_n = n
	_sent_ms = Time.get_ticks_msec()
	_extent_label.text = describe_extent(frame, extent)
	StudioSession.send("decode", args, _on_decode_reply)


## Sets the tiles per side as the spin box does (clamped to 3–16); the grid is decoded again.
func set_n(value: int) -> void:
	_n_spin.value = value


func set_auto(on: bool) -> void:
	auto = on
	_auto_check.set_pressed_no_signal(on)
	if on:
		_frame_waiting = true


## The control showing the mosaic.
func mosaic_view() -> Control:
	return _mosaic_rect


## The centres of the n × n tiles over `area`, row by row from the top (highest y) left.
static func tile_points(area: Rect2, tiles: int) -> Array[Vector2]:
	var points: Array[Vector2] = []
	for row in tiles:
		var y: float = area.end.y - (row + 0.5) / tiles * area.size.y
		for col in tiles:
			points.append(Vector2(area.position.x + (col + 0.5) / tiles * area.size.x, y))
	return points


## One image of `tiles` × `tiles` images of a u8 [tiles², h, w(, c)] batch, row by row, `gap`
## pixels apart; null when the batch is not that.
static func assemble_mosaic(batch: Dictionary, tiles: int, gap: int = TILE_GAP) -> Image:
	if not VaeStudioArray.validate(batch).is_empty() or batch.get("dtype") != "u8":
		return null
	var shape: Array = batch["shape"]
	if shape.size() not in [3, 4] or int(shape[0]) != tiles * tiles:
		return null
	var first: Image = VaeStudioArray.to_image(batch, 0)
	if first == null:
		return null
	var w: int = first.get_width()
	var h: int = first.get_height()
	var side := Vector2i(w * tiles + gap * (tiles - 1), h * tiles + gap * (tiles - 1))
	var out: Image = Image.create_empty(side.x, side.y, false, first.get_format())
	out.fill(GAP_COLOR)
	var whole := Rect2i(0, 0, w, h)
	for i in tiles * tiles:
		var tile: Image = first if i == 0 else VaeStudioArray.to_image(batch, i)
		out.blit_rect(tile, whole, Vector2i((i % tiles) * (w + gap), (i / tiles) * (h + gap)))
	return out


## "PC1 −2.10 … 1.80 · PC2 −1.50 … 2.00": the extent in the frame's axis names.
static func describe_extent(frame: StudioLatentFrame, area: Rect2) -> String:
	var x_name: String = frame.axes[0] if frame.axes.size() > 0 else "x"
	var text: String = "%s %.2f … %.2f" % [x_name, area.position.x, area.end.x]
	if frame.axis_count > 1:
		text += " · %s %.2f … %.2f" % [frame.axes[1], area.position.y, area.end.y]
	return text


func _chosen_extent(frame: StudioLatentFrame) -> Rect2:
	var half: float = FIXED_EXTENTS[_extent_choice]
	if half > 0.0:
		return Rect2(-half, -half, 2.0 * half, 2.0 * half)
	var spread: Rect2 = frame.bounds()
	# A flat spread (one axis, or points on a line) still gets a little height.
	var grow := Vector2(maxf(spread.size.x, 1e-3), maxf(spread.size.y, 1e-3)) - spread.size
	return spread.grow_individual(grow.x * 0.5, grow.y * 0.5, grow.x * 0.5, grow.y * 0.5)


func _on_decode_reply(request: VaeStudioRequest) -> void:
	busy = false
	var latency: int = Time.get_ticks_msec() - _sent_ms
	var problem: String = ""
	if not request.is_ok():
		problem = StudioSession.describe_failure(request)
	else:
		problem = _take_images(request.result())
	results_shown += 1
	if problem.is_empty():
		error = ""
		_show(
			(
				"%d × %d decodes of %d×%d · %d ms"
				% [_sent_n, _sent_n, tile_size.x, tile_size.y, latency]
			),
			StudioPalette.TEXT_DIM
		)
	else:
		error = "decode failed — %s" % problem
		_show(error, StudioPalette.ERROR)
	mosaic_shown.emit(problem.is_empty())


## Shows the reply's images as the mosaic; returns what is wrong with the reply, or "".
func _take_images(result: Dictionary) -> String:
	var images: Variant = result.get("images")
	if not images is Dictionary:
		if result.get("values") is Dictionary:
			_vector_run = str(StudioSession.status.get("run", ""))
			return "vector data has no images to tile (the Samples tab shows its values)"
		return "the reply carried no images array"
	var assembled: Image = assemble_mosaic(images, _sent_n)
	if assembled == null:
		return "the images are not %d u8 images" % (_sent_n * _sent_n)
	mosaic = assembled
	mosaic_n = _sent_n
	var gaps: int = TILE_GAP * (_sent_n - 1)
	tile_size = (Vector2i(assembled.get_width(), assembled.get_height()) - Vector2i(gaps, gaps))
	tile_size /= _sent_n
	if _texture != null and _texture.get_size() == Vector2(assembled.get_size()):
		if _texture.get_format() == assembled.get_format():
			_texture.update(assembled)
		else:
			_texture = ImageTexture.create_from_image(assembled)
	else:
		_texture = ImageTexture.create_from_image(assembled)
	_mosaic_rect.texture = _texture
	_placeholder.visible = false
	return ""


func _show(text: String, color: Color) -> void:
	message = text
	_message.text = text
	_message.add_theme_color_override("font_color", color)
	if mosaic == null:
		_placeholder.text = text if color == StudioPalette.ERROR else "no grid yet"


func _on_n_changed(value: float) -> void:
	n = clampi(roundi(value), MIN_N, MAX_N)
	refresh()


func _on_extent_selected(index: int) -> void:
	_extent_choice = clampi(index, 0, FIXED_EXTENTS.size() - 1)
	refresh()


func _on_visibility_changed() -> void:
	if is_visible_in_tree() and (mosaic == null or auto):
		_frame_waiting = true


func _on_latent_received(_frame: StudioLatentFrame) -> void:
	if str(StudioSession.status.get("run", "")) == _vector_run:
		return
	if auto or mosaic == null:
		_frame_waiting = true
