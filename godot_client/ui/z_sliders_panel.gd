class_name ZSlidersPanel
extends PanelContainer
## The whole current z as one slider per dimension (up to MAX_DIMS), most active first: ordered
## by the newest latent frame's `kl_per_dim`, the inactive ones (KL under ACTIVE_KL nats) dimmed.
## Each slider spans ±3 standard deviations of its dimension (±3, the prior's, when the spread is
## tiny). Moving one decodes the edited z through the session's decode queue (newest wins), so
## the inspector follows. What it shows is in its public fields.

const MAX_DIMS: int = 256
## Dimensions whose mean KL is below this many nats carry (almost) nothing: dimmed.
const ACTIVE_KL: float = 0.05
## A dimension whose spread is below this gets the prior's range instead.
const MIN_SCALE: float = 0.05
const SPREADS: float = 3.0
const DIMMED := Color(1, 1, 1, 0.4)

## Dimensions in the order shown (most active first).
var order := PackedInt32Array()
## The `kl_per_dim` the order was made from.
var order_kl := PackedFloat32Array()
## Half the range of each dimension's slider.
var half_ranges := PackedFloat32Array()
## The dimension being dragged, or -1.
var dragging: int = -1

var _rows: Array[HBoxContainer] = []
var _names: Array[Label] = []
var _sliders: Array[HSlider] = []
var _values: Array[Label] = []

@onready var _title: Label = $Rows/Header/Title
@onready var _reset_button: Button = $Rows/Header/ResetButton
@onready var _list: VBoxContainer = $Rows/Scroll/List
@onready var _message: Label = $Rows/Message


func _ready() -> void:
	_reset_button.pressed.connect(reset_to_mean)
	StudioSession.latent_received.connect(_on_latent_received)
	StudioSession.decode_finished.connect(_on_decode_finished)
	if StudioSession.latent != null:
		_on_latent_received(StudioSession.latent)


## How many sliders there are (the latent width, at most MAX_DIMS).
func slider_count() -> int:
	return _sliders.size()


## Sets dimension `dim` of the current z to `value` as its slider does, and decodes that z.
func set_dim(dim: int, value: float) -> void:
	if dim >= 0 and dim < _sliders.size():
		_sliders[dim].value = value


## Decodes the data mean (the newest frame's center): every slider back to the mean.
func reset_to_mean() -> void:
	var frame: StudioLatentFrame = StudioSession.latent
	if frame != null and not frame.center.is_empty():
		StudioSession.request_decode(frame.center)


## True when dimension `dim` is drawn dimmed (inactive).
func is_dimmed(dim: int) -> bool:
	return dim >= 0 and dim < _rows.size() and _rows[dim].modulate == DIMMED


## The value each slider shows, by dimension.
func slider_values() -> PackedFloat32Array:
	var out := PackedFloat32Array()
	for slider in _sliders:
		out.append(slider.value)
	return out


## The dimensions sorted by `kl` (largest first; ties by index).
static func kl_order(kl: PackedFloat32Array) -> PackedInt32Array:
	var dims: Array[int] = []
	for d in kl.size():
		dims.append(d)
	dims.sort_custom(
		func(a: int, b: int) -> bool: return kl[a] > kl[b] or (kl[a] == kl[b] and a < b)
	)
	return PackedInt32Array(dims)


func _on_latent_received(frame: StudioLatentFrame) -> void:
	var width: int = mini(frame.latent_dim, MAX_DIMS)
	if width != _sliders.size():
		_build(width)
	for d in width:
		var spread: float = frame.scale[d] if d < frame.scale.size() else 0.0
		half_ranges[d] = SPREADS * (spread if spread >= MIN_SCALE else 1.0)
		var kl: float = frame.kl_per_dim[d] if d < frame.kl_per_dim.size() else 0.0
		_names[d].text = "z%d · KL %.2f" % [d, kl]
		_rows[d].modulate = DIMMED if kl < ACTIVE_KL else Color.WHITE
		if d != dragging:
			_sliders[d].min_value = -half_ranges[d]
			_sliders[d].max_value = half_ranges[d]
	var extra: String = ""
	if frame.latent_dim > MAX_DIMS:
		extra = " (the first %d of %d)" % [MAX_DIMS, frame.latent_dim]
	_title.text = "%d dims, most active first%s" % [width, extra]
	if dragging < 0:
		order_kl = frame.kl_per_dim.slice(0, width)
		order = kl_order(order_kl)
		for i in order.size():
			_list.move_child(_rows[order[i]], i)
		_show_z(StudioSession.current_z)
	var active: int = 0
	for kl in order_kl:
		active += 1 if kl >= ACTIVE_KL else 0
	_message.text = (
		"%d of %d dims active (KL ≥ %.2f nats); sliders span ±3 σ of each dim."
		% [active, width, ACTIVE_KL]
	)


func _on_decode_finished(z: PackedFloat32Array, _image: Image) -> void:
	if dragging < 0:
		_show_z(z)


func _show_z(z: PackedFloat32Array) -> void:
	if z.size() < _sliders.size():
		return
	for d in _sliders.size():
		_sliders[d].set_value_no_signal(z[d])
		_values[d].text = "%+.2f" % z[d]


func _build(width: int) -> void:
	for row in _rows:
		row.queue_free()
	_rows.clear()
	_names.clear()
	_sliders.clear()
	_values.clear()
	half_ranges.resize(width)
	dragging = -1
	for d in width:
		var row := HBoxContainer.new()
		var name_label := Label.new()
		name_label.custom_minimum_size = Vector2(110, 0)
		name_label.theme_type_variation = &"MonoLabel"
		var slider := HSlider.new()
		slider.size_flags_horizontal = Control.SIZE_EXPAND_FILL
		slider.size_flags_vertical = Control.SIZE_SHRINK_CENTER
		slider.step = 0.0
		slider.allow_greater = true
		slider.allow_lesser = true
		var value_label := Label.new()
		value_label.custom_minimum_size = Vector2(52, 0)
		value_label.theme_type_variation = &"MonoLabel"
		value_label.horizontal_alignment = HORIZONTAL_ALIGNMENT_RIGHT
		row.add_child(name_label)
		row.add_child(slider)
		row.add_child(value_label)
		_list.add_child(row)
		slider.value_changed.connect(_on_slider_changed.bind(d))
		slider.drag_started.connect(func() -> void: dragging = d)
		slider.drag_ended.connect(func(_changed: bool) -> void: dragging = -1)
		_rows.append(row)
		_names.append(name_label)
		_sliders.append(slider)
		_values.append(value_label)


func _on_slider_changed(value: float, dim: int) -> void:
	var z: PackedFloat32Array = StudioSession.current_z.duplicate()
	if dim >= z.size():
		return
	z[dim] = value
	_values[dim].text = "%+.2f" % value
	StudioSession.request_decode(z)
