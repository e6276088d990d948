class_name PinsPanel
extends PanelContainer
## Pinned z (kept in [member StudioSession.pins]) and their decodes, small. All pins go out in
## one `decode` request whenever they change and, while the panel is on screen, whenever the
## model moved on ([StudioLiveDecode]: a few times a second while it trains, once when it stops,
## at once after a run change or a reconnect), so each pin shows what the model makes of that z
## now. A re-decode waits for any decode in flight, so the automatic ones never pile up. Pins
## outlive projection and run changes: the session fits them to a new latent width and says so.
## What it shows is in its public fields.

## A reply of this panel's `decode` request was shown; when `ok` is false [member error] says why.
signal pins_decoded(ok: bool)

const TILE_SIZE := Vector2(84, 84)

## The decode of each pin, in pin order (empty before the first reply, and for vector data).
var pin_images: Array[Image] = []
## Replies shown so far.
var redecodes: int = 0
## The args of the last `decode` request sent.
var last_args: Dictionary = {}
## True while a `decode` request waits for its reply.
var busy: bool = false
## The last failure as shown ("" after a success).
var error: String = ""

## The pins changed (or came on screen): decode them at once.
var _waiting: bool = false
var _live := StudioLiveDecode.new()
var _textures: Array[TextureRect] = []

@onready var _pin_button: Button = $Rows/Header/PinButton
@onready var _clear_button: Button = $Rows/Header/ClearButton
@onready var _count: Label = $Rows/Header/Count
@onready var _grid: GridContainer = $Rows/Scroll/Grid
@onready var _message: Label = $Rows/Message


func _ready() -> void:
	_pin_button.pressed.connect(pin_current)
	_clear_button.pressed.connect(StudioSession.pins.clear)
	StudioSession.pins.changed.connect(_on_pins_changed)
	visibility_changed.connect(func() -> void: _waiting = is_visible_in_tree())
	_on_pins_changed()


func _process(_delta: float) -> void:
	if busy or not is_visible_in_tree() or StudioSession.pins.items.is_empty():
		return
	if not StudioSession.connected or StudioSession.decodes_in_flight() > 0:
		return
	var moved: bool = _live.due(
		StudioSession.live_run,
		StudioSession.live_step,
		StudioSession.links,
		StudioSession.is_training(),
		Time.get_ticks_msec()
	)
	if _waiting or moved:
		_waiting = false
		refresh()


## Pins the z on show ([member StudioSession.current_z]); false when there is none or the pins
## are full.
func pin_current() -> bool:
	return StudioSession.pins.add(StudioSession.current_z)


func unpin(index: int) -> void:
	StudioSession.pins.remove(index)


## Decodes every pin now, in one request.
func refresh() -> void:
	var pins: Array[PackedFloat32Array] = StudioSession.pins.items
	if busy:
		_waiting = true
		return
	if pins.is_empty() or pins[0].size() != StudioSession.latent_dim():
		return
	var rows: PackedFloat32Array = StudioZMath.flatten(pins)
	last_args = StudioSession.decode_args(rows, pins.size(), StudioSession.batch_label)
	busy = true
	_live.sent(
		StudioSession.live_run, StudioSession.live_step, StudioSession.links, Time.get_ticks_msec()
	)
	StudioSession.send("decode", last_args, _on_decode_reply.bind(pins.size()))


func _on_decode_reply(request: VaeStudioRequest, rows: int) -> void:
	busy = false
	var images: Variant = request.result().get("images") if request.is_ok() else null
	if not request.is_ok():
		error = "Decoding the pins failed: %s" % StudioSession.describe_failure(request)
	elif not images is Dictionary or not VaeStudioArray.validate(images).is_empty():
		error = "vector data: the pins' decodes are numbers, not pictures"
	else:
		error = ""
		pin_images.clear()
		for i in rows:
			pin_images.append(VaeStudioArray.to_image(images, i))
		redecodes += 1
		_draw_images()
	_show_message()
	pins_decoded.emit(error.is_empty())


func _on_pins_changed() -> void:
	var count: int = StudioSession.pins.size()
	_count.text = "%d of %d" % [count, StudioPins.MAX_PINS]
	_pin_button.disabled = count >= StudioPins.MAX_PINS
	_clear_button.disabled = count == 0
	for child in _grid.get_children():
		child.queue_free()
	_textures.clear()
	for i in count:
		_textures.append(_make_card(i))
	if pin_images.size() > count:
		pin_images.resize(count)
	_draw_images()
	_show_message()
	_waiting = count > 0


func _make_card(index: int) -> TextureRect:
	var card := VBoxContainer.new()
	var frame := PanelContainer.new()
	frame.theme_type_variation = &"ImageFrame"
	var image := TextureRect.new()
	image.custom_minimum_size = TILE_SIZE
	image.expand_mode = TextureRect.EXPAND_IGNORE_SIZE
	image.stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_CENTERED
	image.texture_filter = CanvasItem.TEXTURE_FILTER_NEAREST
	frame.add_child(image)
	var row := HBoxContainer.new()
	var caption := Label.new()
	caption.text = "pin %d" % (index + 1)
	caption.theme_type_variation = &"DimLabel"
	caption.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	var remove := Button.new()
	remove.text = "✕"
	remove.flat = true
	remove.tooltip_text = "Unpin"
	remove.pressed.connect(unpin.bind(index))
	row.add_child(caption)
	row.add_child(remove)
	card.add_child(frame)
	card.add_child(row)
	_grid.add_child(card)
	return image


func _draw_images() -> void:
	for i in _textures.size():
		var image: Image = pin_images[i] if i < pin_images.size() else null
		_textures[i].texture = ImageTexture.create_from_image(image) if image != null else null


func _show_message() -> void:
	var text: String = StudioSession.pins.note
	if text.is_empty():
		text = "Each pin is decoded again as the model trains."
	if StudioSession.pins.items.is_empty():
		text = "No pins yet: pin the z on show, then watch its decode change while training."
	elif not error.is_empty():
		text = error
	_message.text = text
	var color: Color = StudioPalette.ERROR if not error.is_empty() else StudioPalette.TEXT_DIM
	_message.add_theme_color_override("font_color", color)
