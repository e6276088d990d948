class_name SamplesPanel
extends PanelContainer
## Samples from the prior: a 4×4 grid from one `sample` request (`n`, `seed`, `temperature`), a
## temperature slider and a re-roll button (a new seed). For a conditional model the grid cycles
## through the classes, and a row below shows the first sample's z decoded as every class. Vector
## data is shown as numbers. What it shows (images, values, the last request's args, the error
## sentence) is in its public fields.

## A reply of this panel's `sample` request was shown; when `ok` is false [member error] says why.
signal samples_shown(ok: bool)
## The class row of a conditional model was filled from its `decode` reply.
signal classes_shown(ok: bool)

const COLUMNS: int = 4
const SAMPLE_COUNT: int = 16
## A class row longer than this shows only the first classes.
const MAX_CLASSES: int = 16
const TILE_MIN_SIZE := Vector2(48, 48)

## Spread of the prior the samples come from (protocol §5 `sample`).
var temperature: float = 1.0
## The seed of the next request; [method reroll] draws a new one.
var sample_seed: int = 1
## The args of the last `sample` request sent (labels as the wire array).
var last_args: Dictionary = {}
## The decoded samples of the last reply (image data), in grid order.
var images: Array[Image] = []
## The decoded samples of the last reply (vector data): [count * value_width] floats.
var values := PackedFloat32Array()
var value_width: int = 0
## The sampled z of the last reply, [SAMPLE_COUNT * latent_dim].
var sampled_z := PackedFloat32Array()
## The first sample's z decoded as classes 0, 1, … (conditional models).
var class_images: Array[Image] = []
## How many replies were shown, and the sentence under the grid.
var results_shown: int = 0
var message: String = ""
## The last failure as shown ("" after a success).
var error: String = ""
## True while a `sample` request waits for its reply.
var busy: bool = false

var _again: bool = false
var _shown_run: String = ""
var _sent_ms: int = 0
var _tiles: Array[TextureRect] = []
var _class_tiles: Array[TextureRect] = []

@onready var _slider: HSlider = $Rows/Header/TemperatureSlider
@onready var _slider_value: Label = $Rows/Header/TemperatureValue
@onready var _reroll_button: Button = $Rows/Header/RerollButton
@onready var _grid: GridContainer = $Rows/Frame/Grid
@onready var _values_label: Label = $Rows/Frame/Values
@onready var _class_row: VBoxContainer = $Rows/ClassRow
@onready var _classes: HBoxContainer = $Rows/ClassRow/Classes
@onready var _message: Label = $Rows/Message


func _ready() -> void:
	_grid.columns = COLUMNS
	for i in SAMPLE_COUNT:
		_tiles.append(_make_tile(TILE_MIN_SIZE, _grid))
	_slider.value = temperature
	_slider.value_changed.connect(_on_temperature_changed)
	_reroll_button.pressed.connect(reroll)
	visibility_changed.connect(_refresh_if_stale)
	StudioSession.status_received.connect(_on_status_received)
	StudioSession.connection_changed.connect(_on_connection_changed)
	_show_temperature()


## Draws SAMPLE_COUNT new samples with the current seed and temperature. While a request is
## pending the newest wish waits and goes out when its reply is in.
func refresh() -> void:
	if busy:
		_again = true
		return
	if not StudioSession.connected:
		_show("Samples appear here once the backend is connected.", StudioPalette.TEXT_DIM)
		return
	var args: Dictionary = {"n": SAMPLE_COUNT, "seed": sample_seed, "temperature": temperature}
	if StudioSession.is_conditional():
		var labels := PackedInt32Array()
		for i in SAMPLE_COUNT:
			labels.append(i % StudioSession.num_classes())
		args["labels"] = VaeStudioArray.from_int32(labels, [SAMPLE_COUNT])
	last_args = args
	busy = true
	_again = false
	_sent_ms = Time.get_ticks_msec()
	_shown_run = str(StudioSession.status.get("run", ""))
	StudioSession.send("sample", args, _on_sample_reply)


## A new seed, then new samples (the re-roll button).
func reroll() -> void:
	sample_seed = (sample_seed + 1 + randi() % 1_000_000) % 2_147_483_647
	refresh()


## Sets the temperature as the slider does (clamped to its range); new samples follow.
func set_temperature(value: float) -> void:
	_slider.value = value


## The control holding the grid of samples.
func grid_view() -> Control:
	return _grid


func _on_temperature_changed(value: float) -> void:
	temperature = value
	_show_temperature()
	refresh()


func _show_temperature() -> void:
	_slider_value.text = "%.2f" % temperature


func _on_status_received(_status: Dictionary) -> void:
	_refresh_if_stale()


func _on_connection_changed(now_connected: bool) -> void:
	if now_connected:
		_refresh_if_stale()


## Samples the live run once the tab is on screen and the shown ones are of another run.
func _refresh_if_stale() -> void:
	if not is_visible_in_tree() or busy or StudioSession.status.is_empty():
		return
	if results_shown == 0 or str(StudioSession.status.get("run", "")) != _shown_run:
		refresh()


func _on_sample_reply(request: VaeStudioRequest) -> void:
	busy = false
	var latency: int = Time.get_ticks_msec() - _sent_ms
	var problem: String = ""
	if not request.is_ok():
		problem = StudioSession.describe_failure(request)
	else:
		problem = _take_result(request.result())
	results_shown += 1
	if problem.is_empty():
		error = ""
		var what: String = "%d samples" % SAMPLE_COUNT
		if StudioSession.is_conditional():
			what += " · classes cycle 0–%d" % (StudioSession.num_classes() - 1)
		_show(
			"%s · seed %d · T = %.2f · %d ms" % [what, sample_seed, temperature, latency],
			StudioPalette.TEXT_DIM
		)
		_decode_classes()
	else:
		error = "sample failed — %s" % problem
		_show(error, StudioPalette.ERROR)
	samples_shown.emit(problem.is_empty())
	if _again:
		refresh()


## Shows the reply's images or values; returns what is wrong with it, or "".
func _take_result(result: Dictionary) -> String:
	var z: Variant = result.get("z")
	sampled_z = VaeStudioArray.to_float32(z) if z is Dictionary else PackedFloat32Array()
	var decoded: Array[Image] = _images_of(result.get("images"))
	var vectors: Variant = result.get("values")
	images = []
	values = PackedFloat32Array()
	value_width = 0
	if not decoded.is_empty():
		images = decoded
		for i in _tiles.size():
			var image: Image = images[i] if i < images.size() else null
			_tiles[i].texture = ImageTexture.create_from_image(image) if image != null else null
		_grid.visible = true
		_values_label.visible = false
		return ""
	if vectors is Dictionary and _is_matrix(vectors, "f32"):
		values = VaeStudioArray.to_float32(vectors)
		value_width = int((vectors as Dictionary)["shape"][1])
		_values_label.text = describe_values(values, value_width)
		_values_label.visible = true
		_grid.visible = false
		return ""
	return "the reply carried no images or values array"


## Decodes the first sample's z as every class (conditional models), into the class row.
func _decode_classes() -> void:
	var dim: int = StudioSession.latent_dim()
	var classes: int = mini(StudioSession.num_classes(), MAX_CLASSES)
	var conditional: bool = StudioSession.is_conditional() and not images.is_empty()
	_class_row.visible = conditional
	if not conditional or dim <= 0 or sampled_z.size() < dim:
		return
	var first: PackedFloat32Array = sampled_z.slice(0, dim)
	var z := PackedFloat32Array()
	var labels := PackedInt32Array()
	for label in classes:
		z.append_array(first)
		labels.append(label)
	var args: Dictionary = {
		"z": VaeStudioArray.from_float32(z, [classes, dim]),
		"labels": VaeStudioArray.from_int32(labels, [classes]),
	}
	StudioSession.send("decode", args, _on_classes_reply)


func _on_classes_reply(request: VaeStudioRequest) -> void:
	class_images = _images_of(request.result().get("images")) if request.is_ok() else []
	while _class_tiles.size() < class_images.size():
		_class_tiles.append(_make_tile(Vector2(24, 24), _classes))
	for i in _class_tiles.size():
		var image: Image = class_images[i] if i < class_images.size() else null
		_class_tiles[i].visible = image != null
		_class_tiles[i].texture = ImageTexture.create_from_image(image) if image != null else null
	if not request.is_ok():
		error = "decode of the class row failed — %s" % StudioSession.describe_failure(request)
		_show(error, StudioPalette.ERROR)
	classes_shown.emit(request.is_ok() and not class_images.is_empty())


func _show(text: String, color: Color) -> void:
	message = text
	_message.text = text
	_message.add_theme_color_override("font_color", color)


func _make_tile(min_size: Vector2, parent: Control) -> TextureRect:
	var tile := TextureRect.new()
	tile.custom_minimum_size = min_size
	tile.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	tile.size_flags_vertical = Control.SIZE_EXPAND_FILL
	tile.expand_mode = TextureRect.EXPAND_IGNORE_SIZE
	tile.stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_CENTERED
	tile.texture_filter = CanvasItem.TEXTURE_FILTER_NEAREST
	parent.add_child(tile)
	return tile


## Every image of a u8 [n, h, w(, c)] batch; empty for anything else.
static func _images_of(arr: Variant) -> Array[Image]:
	var out: Array[Image] = []
	if not arr is Dictionary or not VaeStudioArray.validate(arr).is_empty():
		return out
	var batch: Dictionary = arr
	var shape: Array = batch["shape"]
	if batch["dtype"] != "u8" or shape.size() not in [3, 4]:
		return out
	for i in int(shape[0]):
		var image: Image = VaeStudioArray.to_image(batch, i)
		if image == null:
			return []
		out.append(image)
	return out


static func _is_matrix(arr: Dictionary, dtype: String) -> bool:
	var shape: Variant = arr.get("shape")
	return (
		VaeStudioArray.validate(arr).is_empty()
		and arr.get("dtype") == dtype
		and shape is Array
		and (shape as Array).size() == 2
	)


## Rows of vector data as text, two samples a line: "0 (0.52, -0.31)   1 (…)".
static func describe_values(flat: PackedFloat32Array, width: int) -> String:
	if width <= 0:
		return ""
	var shown: int = mini(width, 4)
	var cells: PackedStringArray = []
	for row in flat.size() / width:
		var parts: PackedStringArray = []
		for d in shown:
			parts.append("%+.2f" % flat[row * width + d])
		var more: String = ", …" if width > shown else ""
		cells.append("%2d (%s%s)" % [row, ", ".join(parts), more])
	var lines: PackedStringArray = []
	for i in range(0, cells.size(), 2):
		lines.append("   ".join(cells.slice(i, i + 2)))
	return "\n".join(lines)
