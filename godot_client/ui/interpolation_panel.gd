class_name InterpolationPanel
extends PanelContainer
## A path between two z (pins, or the z on show): 2–32 steps on a line or an arc (slerp), decoded
## in one `decode` request and shown as a filmstrip. Play walks along it, showing each frame as
## the current decode so the inspector follows. The path is also the session's
## [member StudioSession.path], for drawing. What it shows is in its public fields.

## A reply of this panel's `decode` request was shown; when `ok` is false [member error] says why.
signal path_decoded(ok: bool)

const MIN_STEPS: int = 2
const MAX_STEPS: int = 32
## Endpoint index meaning "the z on show" rather than a pin.
const CURRENT_Z: int = -1
const FRAMES_PER_S: float = 8.0
## The filmstrip's tiles are as large as fits (all frames in view), within these sides.
const TILE_MIN: int = 24
const TILE_MAX: int = 128
const TILE_GAP: int = 3

## The ends: a pin's index, or CURRENT_Z.
var from_index: int = CURRENT_Z
var to_index: int = CURRENT_Z
var steps: int = 10
var spherical: bool = false
## The z of the last path sent, and the decode of each (after its reply).
var path: Array[PackedFloat32Array] = []
var images: Array[Image] = []
## The args of the last `decode` request sent.
var last_args: Dictionary = {}
var busy: bool = false
var results_shown: int = 0
## The last failure as shown ("" after a success).
var error: String = ""
var playing: bool = false
## The frame on show while playing (or last played).
var play_index: int = -1
## Frames shown by Play so far.
var frames_played: int = 0

var _again: bool = false
var _play_s: float = 0.0
var _tiles: Array[TextureRect] = []

@onready var _from_option: OptionButton = $Rows/Ends/FromOption
@onready var _to_option: OptionButton = $Rows/Ends/ToOption
@onready var _steps_spin: SpinBox = $Rows/Options/StepsSpin
@onready var _path_option: OptionButton = $Rows/Options/PathOption
@onready var _decode_button: Button = $Rows/Options/DecodeButton
@onready var _play_button: Button = $Rows/Options/PlayButton
@onready var _frame: PanelContainer = $Rows/Frame
@onready var _strip: HFlowContainer = $Rows/Frame/Scroll/Strip
@onready var _message: Label = $Rows/Message


func _ready() -> void:
	_steps_spin.min_value = MIN_STEPS
	_steps_spin.max_value = MAX_STEPS
	_steps_spin.value = steps
	_steps_spin.value_changed.connect(func(value: float) -> void: set_steps(roundi(value)))
	_path_option.item_selected.connect(func(index: int) -> void: set_spherical(index == 1))
	_from_option.item_selected.connect(_on_end_selected)
	_to_option.item_selected.connect(_on_end_selected)
	_decode_button.pressed.connect(decode_path)
	_play_button.pressed.connect(play)
	StudioSession.pins.changed.connect(_fill_end_options)
	_frame.resized.connect(_fit_tiles)
	_fill_end_options()


func _process(delta: float) -> void:
	if not playing:
		return
	_play_s += delta
	var index: int = mini(floori(_play_s * FRAMES_PER_S), images.size() - 1)
	if index != play_index:
		_show_frame(index)
	if index >= images.size() - 1:
		stop()


## Picks the ends (a pin's index or CURRENT_Z) as the menus do; the path is decoded again.
func set_endpoints(from: int, to: int) -> void:
	from_index = from if from >= 0 and from < StudioSession.pins.size() else CURRENT_Z
	to_index = to if to >= 0 and to < StudioSession.pins.size() else CURRENT_Z
	_from_option.select(from_index + 1)
	_to_option.select(to_index + 1)
	decode_path()


## Sets the number of points (clamped to 2–32) as the spin box does; the path is decoded again.
func set_steps(value: int) -> void:
	steps = clampi(value, MIN_STEPS, MAX_STEPS)
	_steps_spin.set_value_no_signal(steps)
	decode_path()


func set_spherical(on: bool) -> void:
	spherical = on
	_path_option.select(1 if on else 0)
	decode_path()


## Builds the path between the ends and decodes all of it in one request.
func decode_path() -> void:
	var a: PackedFloat32Array = _end(from_index)
	var b: PackedFloat32Array = _end(to_index)
	if a.is_empty() or a.size() != b.size() or a.size() != StudioSession.latent_dim():
		_show("Pick two ends of the live model's width (pins, or the z on show).", false)
		return
	if busy:
		_again = true
		return
	_again = false
	stop()
	path = StudioZMath.slerp_path(a, b, steps) if spherical else StudioZMath.lerp_path(a, b, steps)
	StudioSession.path = path
	var rows: PackedFloat32Array = StudioZMath.flatten(path)
	last_args = StudioSession.decode_args(rows, path.size(), StudioSession.batch_label)
	busy = true
	StudioSession.send("decode", last_args, _on_decode_reply.bind(path.size()))


## Walks along the decoded path from its start, one frame at a time, in the inspector.
func play() -> void:
	if images.is_empty():
		return
	playing = true
	_play_s = 0.0
	play_index = -1
	_play_button.text = "Playing…"


func stop() -> void:
	playing = false
	_play_button.text = "Play"
	for tile in _tiles:
		tile.modulate = Color.WHITE


## The filmstrip's images, one control each, in path order.
func filmstrip_tiles() -> Array[TextureRect]:
	return _tiles


func _end(index: int) -> PackedFloat32Array:
	if index >= 0 and index < StudioSession.pins.size():
		return StudioSession.pins.items[index]
	return StudioSession.current_z.duplicate()


func _on_decode_reply(request: VaeStudioRequest, rows: int) -> void:
	busy = false
	results_shown += 1
	var batch: Variant = request.result().get("images") if request.is_ok() else null
	if not request.is_ok():
		_show("decode failed — %s" % StudioSession.describe_failure(request), true)
	elif not batch is Dictionary or not VaeStudioArray.validate(batch).is_empty():
		_show("vector data: the path's decodes are numbers, not pictures", true)
	else:
		images.clear()
		for i in rows:
			images.append(VaeStudioArray.to_image(batch, i))
		_draw_strip()
		var kind: String = "spherical" if spherical else "linear"
		_show("%d steps, %s: one decode request. Play walks along it." % [rows, kind], false)
	path_decoded.emit(error.is_empty())
	if _again:
		decode_path()


func _show_frame(index: int) -> void:
	play_index = index
	frames_played += 1
	for i in _tiles.size():
		_tiles[i].modulate = Color.WHITE if i == index else Color(1, 1, 1, 0.55)
	if index < path.size() and images[index] != null:
		StudioSession.request_decode(path[index], images[index])


func _draw_strip() -> void:
	for tile in _tiles:
		tile.queue_free()
	_tiles.clear()
	for image in images:
		var tile := TextureRect.new()
		tile.expand_mode = TextureRect.EXPAND_IGNORE_SIZE
		tile.stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_CENTERED
		tile.texture_filter = CanvasItem.TEXTURE_FILTER_NEAREST
		tile.texture = ImageTexture.create_from_image(image) if image != null else null
		_strip.add_child(tile)
		_tiles.append(tile)
	_fit_tiles()


## The largest tile side at which `count` square tiles, `gap` apart, fit in `area` (within
## `lo`–`hi`; `lo` when even that does not fit, and the strip scrolls).
static func tile_side(count: int, area: Vector2, gap: int, lo: int, hi: int) -> int:
	for side in range(hi, lo, -1):
		var per_row: int = maxi(floori((area.x + gap) / (side + gap)), 1)
		var rows: int = ceili(float(count) / per_row)
		if rows * (side + gap) - gap <= area.y:
			return side
	return lo


func _fit_tiles() -> void:
	var area: Vector2 = _frame.size - Vector2(12, 12)
	var side: int = tile_side(_tiles.size(), area, TILE_GAP, TILE_MIN, TILE_MAX)
	for tile in _tiles:
		tile.custom_minimum_size = Vector2(side, side)


func _fill_end_options() -> void:
	for option: OptionButton in [_from_option, _to_option]:
		option.clear()
		option.add_item("current z")
		for i in StudioSession.pins.size():
			option.add_item("pin %d" % (i + 1))
	if from_index >= StudioSession.pins.size():
		from_index = CURRENT_Z
	if to_index >= StudioSession.pins.size():
		to_index = CURRENT_Z
	_from_option.select(from_index + 1)
	_to_option.select(to_index + 1)


func _on_end_selected(_index: int) -> void:
	set_endpoints(_from_option.selected - 1, _to_option.selected - 1)


func _show(text: String, failed: bool) -> void:
	error = text if failed else ""
	_message.text = text
	var color: Color = StudioPalette.ERROR if failed else StudioPalette.TEXT_DIM
	_message.add_theme_color_override("font_color", color)
