class_name LatentView
extends Control
## The latent plane: the `latent` stream's points on its first two axes (principal components or
## chosen dimensions, protocol §6.1), coloured by label or by a value, drawn by one MultiMesh with
## the point shader, over a grid with tick labels and axis captions. Wheel zooms, right/middle
## drag pans, the left button picks a point to decode, F or the Fit button fits the view to the
## data. Hovering a data point names its label and row; clicking one (within PICK_RADIUS_PX)
## selects that row for the inspector instead of decoding the plane. Trackpad pinch zooms and
## two-finger scroll pans. The header's controls ask the session for another projection or
## colouring; with three axes, its 3-D button shows the points in an orbiting view instead.

## The left button pressed or dragged over the plane at `p`, on the first two axes.
signal point_picked(p: Vector2)
## What [method to_screen] gives changed: a pan, zoom, fit step, resize or a new frame (whose
## projection may differ). Whatever is drawn over the view in axes coordinates redraws then.
signal view_transformed
## The left button clicked on the point of data-set row `row`.
signal row_selected(row: int)

const TEXTURE_WIDTH: int = 1024
const MIN_TICK_SPACING_PX: float = 72.0
const ZOOM_STEP: float = 1.15
const FIT_RATE: float = 7.0
const FIT_MARGIN: float = 0.04
const PROJECTION_PCA: int = 0
const PROJECTION_DIMS: int = 1
## How close (in pixels) a click or the pointer must come to a point to mean that point.
const PICK_RADIUS_PX: float = 6.0
const HINT_2D: String = "left: decode, on a point: its row · right/middle drag: pan · wheel: zoom"
const HINT_3D: String = "left drag: orbit · wheel: zoom · F: fit"
## Room kept between the corner pieces (header, legend, hint, x caption, Fit button).
const CORNER_GAP: float = 12.0
## The hint's bottom edge above the view's (the x tick labels are below it).
const HINT_BOTTOM: float = 32.0

@export var point_size: float = 5.0
@export var point_alpha: float = 0.8

## The latent position at the centre of the plane and the zoom, in pixels per latent unit.
var view_center := Vector2.ZERO
var pixels_per_unit: float = 60.0
## While true the view follows the data's extent; zooming or panning turns it off.
var auto_fit: bool = true
var points_drawn: int = 0
## The point (of the current frame) under the pointer, or -1; its row is `hovered_row`.
var hovered_point: int = -1
var hovered_row: int = -1
## The data-set row last clicked, or -1: a ring marks it while the stream holds it.
var selected_row: int = -1
## True while the 3-D view of the three axes is shown instead of the plane.
var view_3d: bool = false

var _frame: StudioLatentFrame
var _run: String = ""
var _has_target: bool = false
var _target_center := Vector2.ZERO
var _target_scale: float = 60.0
## The z of the last decode: its marker sits at its projection on the current frame's axes.
var _marker_z := PackedFloat32Array()
var _panning: bool = false
var _mouse_at := Vector2.ZERO
var _picking: bool = false
var _multimesh := MultiMesh.new()
var _capacity: int = 0
var _coords_texture: ImageTexture
var _labels_texture: ImageTexture
var _values_texture: ImageTexture
## The latent width the colour choices were built for.
var _colour_dims: int = -1
## True while [method _place_corners] moves the pieces (each move emits `resized` again).
var _placing: bool = false

@onready var _points: MultiMeshInstance2D = $Points
@onready var _overlay: Control = $Overlay
@onready var _title: Label = $Header/Rows/Title
@onready var _subtitle: Label = $Header/Rows/Subtitle
@onready var _legend: LabelLegend = $Legend
@onready var _fit_button: Button = $FitButton
@onready var _header: Control = $Header
@onready var _controls: HBoxContainer = $Header/Rows/Controls
@onready var _projection: OptionButton = $Header/Rows/Controls/Projection
@onready var _x_dim: SpinBox = $Header/Rows/Controls/XDim
@onready var _y_dim: SpinBox = $Header/Rows/Controls/YDim
@onready var _colour: OptionButton = $Header/Rows/Controls/Colour
@onready var _view_3d_toggle: Button = $Header/Rows/Controls/View3DToggle
@onready var _view_3d: LatentView3D = $View3D
@onready var _hint: Label = $Hint
@onready var _material: ShaderMaterial = _points.material


func _ready() -> void:
	var quad := QuadMesh.new()
	quad.size = Vector2.ONE
	_multimesh.transform_format = MultiMesh.TRANSFORM_2D
	_multimesh.mesh = quad
	# Points are placed by the shader, so the engine cannot know their extent: never cull them.
	_multimesh.custom_aabb = AABB(Vector3(-1e6, -1e6, -1.0), Vector3(2e6, 2e6, 2.0))
	_points.multimesh = _multimesh
	_material.set_shader_parameter("palette_tex", StudioPalette.make_texture())
	_material.set_shader_parameter("palette_size", StudioPalette.PALETTE_SIZE)
	_material.set_shader_parameter("ramp_tex", StudioPalette.make_ramp_texture())
	_material.set_shader_parameter("tex_width", TEXTURE_WIDTH)
	_overlay.draw.connect(_draw_overlay)
	_fit_button.pressed.connect(fit)
	resized.connect(_on_resized)
	StudioSession.latent_received.connect(_on_latent_received)
	StudioSession.decode_finished.connect(_on_decode_finished)
	StudioSession.status_received.connect(_on_status_received)
	StudioSession.latent_view_changed.connect(_on_latent_view_changed)
	_projection.item_selected.connect(_on_projection_selected)
	_x_dim.value_changed.connect(_on_dim_changed)
	_y_dim.value_changed.connect(_on_dim_changed)
	_colour.item_selected.connect(_on_colour_selected)
	_view_3d_toggle.toggled.connect(set_view_3d)
	_controls.visible = false
	_hint.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	_header.resized.connect(_place_corners)
	_legend.resized.connect(_place_corners)
	_update_header()
	_place_corners()
	_apply_view()


func _process(delta: float) -> void:
	# A held button (a drag that decodes, a pan) keeps the view still: the plane must not move
	# under the pointer while the user points at something on it.
	if not auto_fit or not _has_target or _picking or _panning:
		return
	var blend: float = 1.0 - exp(-FIT_RATE * delta)
	var log_scale: float = lerpf(log(pixels_per_unit), log(_target_scale), blend)
	var new_center: Vector2 = view_center.lerp(_target_center, blend)
	if (
		new_center.distance_to(view_center) * pixels_per_unit > 0.05
		or absf(exp(log_scale) - pixels_per_unit) > 0.01
	):
		view_center = new_center
		pixels_per_unit = exp(log_scale)
		_apply_view()


func _gui_input(event: InputEvent) -> void:
	var button := event as InputEventMouseButton
	if button != null:
		match button.button_index:
			MOUSE_BUTTON_WHEEL_UP:
				if button.pressed:
					zoom_at(button.position, ZOOM_STEP)
			MOUSE_BUTTON_WHEEL_DOWN:
				if button.pressed:
					zoom_at(button.position, 1.0 / ZOOM_STEP)
			MOUSE_BUTTON_RIGHT, MOUSE_BUTTON_MIDDLE:
				_panning = button.pressed
			MOUSE_BUTTON_LEFT:
				var hit: int = point_at(button.position) if button.pressed else -1
				_picking = button.pressed and (hit < 0 or _frame.row_of(hit) < 0)
				if _picking:
					point_picked.emit(to_latent(button.position))
				elif button.pressed:
					selected_row = _frame.row_of(hit)
					row_selected.emit(selected_row)
					_overlay.queue_redraw()
		accept_event()
		return
	var magnify := event as InputEventMagnifyGesture
	if magnify != null:
		zoom_at(magnify.position, magnify.factor)
		accept_event()
		return
	var pan := event as InputEventPanGesture
	if pan != null:
		auto_fit = false
		view_center += Vector2(pan.delta.x, -pan.delta.y) * 8.0 / pixels_per_unit
		_apply_view()
		accept_event()
		return
	var motion := event as InputEventMouseMotion
	if motion != null:
		if _panning:
			auto_fit = false
			view_center -= Vector2(motion.relative.x, -motion.relative.y) / pixels_per_unit
			_apply_view()
		if _picking:
			point_picked.emit(to_latent(motion.position))
		_mouse_at = motion.position
		_set_hovered(-1 if _panning or _picking else point_at(motion.position))
		accept_event()


func _notification(what: int) -> void:
	if what == NOTIFICATION_MOUSE_EXIT and is_node_ready():
		_set_hovered(-1)


func _unhandled_input(event: InputEvent) -> void:
	if event.is_action_pressed("latent_fit"):
		fit()
		get_viewport().set_input_as_handled()


func _draw() -> void:
	draw_rect(Rect2(Vector2.ZERO, size), StudioPalette.BACKGROUND)
	var step: float = tick_step()
	var lo: Vector2 = to_latent(Vector2(0.0, size.y))
	var hi: Vector2 = to_latent(Vector2(size.x, 0.0))
	for i in range(ceili(lo.x / step), floori(hi.x / step) + 1):
		var x: float = to_screen(Vector2(i * step, 0.0)).x
		var color: Color = StudioPalette.GRID_AXIS if i == 0 else StudioPalette.GRID
		draw_line(Vector2(x, 0.0), Vector2(x, size.y), color, 1.0)
	for i in range(ceili(lo.y / step), floori(hi.y / step) + 1):
		var y: float = to_screen(Vector2(0.0, i * step)).y
		var color: Color = StudioPalette.GRID_AXIS if i == 0 else StudioPalette.GRID
		draw_line(Vector2(0.0, y), Vector2(size.x, y), color, 1.0)


## The point on the first two axes under the pixel `at` of this control.
func to_latent(at: Vector2) -> Vector2:
	var d: Vector2 = (at - size * 0.5) / pixels_per_unit
	return view_center + Vector2(d.x, -d.y)


## The point of the current frame drawn within PICK_RADIUS_PX of local pixel `at`, or -1.
func point_at(at: Vector2) -> int:
	if _frame == null or _frame.count == 0:
		return -1
	return _frame.nearest_point(to_latent(at), PICK_RADIUS_PX / pixels_per_unit)


## What the tooltip of point `i` says: "label 7 · row 1234" ("row 1234" without labels).
func point_caption(i: int) -> String:
	if _frame == null or i < 0 or i >= _frame.count:
		return ""
	var row: int = _frame.row_of(i)
	var label: int = _frame.label_of(i)
	var row_text: String = "row %d" % row if row >= 0 else "point %d" % i
	return row_text if label < 0 else "label %d · %s" % [label, row_text]


## The local pixel of this control showing `axes_point` (on the first two axes) in the 2-D view.
func to_screen(axes_point: Vector2) -> Vector2:
	var d: Vector2 = (axes_point - view_center) * pixels_per_unit
	return size * 0.5 + Vector2(d.x, -d.y)


## Grid spacing in latent units: 1, 2 or 5 times a power of ten, at least MIN_TICK_SPACING_PX.
func tick_step() -> float:
	var raw: float = MIN_TICK_SPACING_PX / pixels_per_unit
	var power: float = pow(10.0, floorf(log(raw) / log(10.0)))
	for mult: float in [1.0, 2.0, 5.0]:
		if mult * power >= raw:
			return mult * power
	return 10.0 * power


func _set_hovered(i: int) -> void:
	if i == hovered_point:
		return
	hovered_point = i
	hovered_row = _frame.row_of(i) if i >= 0 else -1
	_overlay.queue_redraw()


func zoom_at(at: Vector2, factor: float) -> void:
	auto_fit = false
	var anchor: Vector2 = to_latent(at)
	pixels_per_unit = clampf(pixels_per_unit * factor, 1e-3, 1e7)
	view_center += anchor - to_latent(at)
	_apply_view()


## Fits the view to the data now and keeps following it as it moves (in 3-D: frames the points).
func fit() -> void:
	if view_3d:
		_view_3d.fit()
		return
	auto_fit = true
	_update_fit_target()


## Shows the points on all three axes in the orbiting 3-D view (`on`), or the plane; 3-D needs a
## frame with three axes, and turns off by itself when a frame has fewer.
func set_view_3d(on: bool) -> void:
	view_3d = on and _frame != null and _frame.axis_count == 3
	_view_3d_toggle.set_pressed_no_signal(view_3d)
	_view_3d.visible = view_3d
	_hint.text = HINT_3D if view_3d else HINT_2D
	_place_corners()
	if view_3d:
		_view_3d.fit()
	_set_hovered(-1)


func _update_fit_target() -> void:
	if _frame == null or _frame.count == 0:
		return
	var bounds: Rect2 = _frame.bounds()
	var extent := Vector2(maxf(bounds.size.x, 1e-3), maxf(bounds.size.y, 1e-3))
	extent *= 1.0 + 2.0 * FIT_MARGIN
	# Keep the data clear of the header and legend above and the hint and Fit button below.
	var top: float = _top_clearance()
	var bottom: float = size.y - _hint.position.y
	var area := Rect2(Vector2(40.0, top), size - Vector2(40.0 + 16.0, top + bottom))
	area.size = area.size.max(Vector2(40.0, 40.0))
	_target_scale = minf(area.size.x / extent.x, area.size.y / extent.y)
	var shift: Vector2 = area.get_center() - size * 0.5
	_target_center = bounds.get_center() - Vector2(shift.x, -shift.y) / _target_scale
	_has_target = true


func _on_latent_received(frame: StudioLatentFrame) -> void:
	var first: bool = _frame == null or frame.run != _run
	_frame = frame
	_run = frame.run
	if hovered_point >= 0:
		hovered_point = -1
		_set_hovered(point_at(_mouse_at))  # the same pointer over the moved points
	_upload(frame)
	if first:
		auto_fit = true
	if auto_fit:
		_update_fit_target()
		if first:
			view_center = _target_center
			pixels_per_unit = _target_scale
			_apply_view()
	if frame.has_color_values():
		var extent: Vector2 = frame.color_range()
		_legend.show_ramp(frame.color_by, extent.x, extent.y)
	else:
		_legend.show_labels(frame.has_labels())
	_update_controls()
	_update_header()
	_place_corners()  # the x caption may have changed
	if view_3d and frame.axis_count != 3:
		set_view_3d(false)
	_overlay.queue_redraw()
	view_transformed.emit()


## "x: PC1 · 31 % of variance" for axis 0, "y: …" for axis 1; "" before the first frame.
func axis_caption(axis: int) -> String:
	if _frame == null or axis >= _frame.axis_count:
		return ""
	return "%s: %s" % ["xy"[axis], _frame.axis_caption(axis, true)]


func _on_decode_finished(z: PackedFloat32Array, _image: Image) -> void:
	_marker_z = z
	_overlay.queue_redraw()


func _on_status_received(_status: Dictionary) -> void:
	if _frame == null:
		_update_header()


func _on_latent_view_changed(_view: Dictionary) -> void:
	_update_controls()


func _on_projection_selected(index: int) -> void:
	if index == PROJECTION_PCA:
		StudioSession.set_latent_view({"projection": "pca"})
	else:
		_send_dims()


func _on_dim_changed(_value: float) -> void:
	if _projection.selected == PROJECTION_DIMS:
		_send_dims()


## Asks for the two chosen dimensions; the same one twice waits for the other to change.
func _send_dims() -> void:
	var x: int = roundi(_x_dim.value)
	var y: int = roundi(_y_dim.value)
	_x_dim.visible = true
	_y_dim.visible = true
	if x != y:
		StudioSession.set_latent_view({"projection": "dims", "dims": [x, y]})


func _on_colour_selected(index: int) -> void:
	StudioSession.set_latent_view({"color": str(_colour.get_item_metadata(index))})


## Brings the header's controls in line with the frame and the session's `latent.view`, without
## sending anything (select() and set_value_no_signal() emit no signal).
func _update_controls() -> void:
	if _frame == null:
		_controls.visible = false
		return
	var dim: int = _frame.latent_dim
	_controls.visible = true
	_projection.visible = dim > 2
	_view_3d_toggle.visible = _frame.axis_count == 3
	var by_dims: bool = _frame.projection == "dims"
	_projection.select(PROJECTION_DIMS if by_dims else PROJECTION_PCA)
	_x_dim.max_value = dim - 1
	_y_dim.max_value = dim - 1
	_x_dim.visible = by_dims and dim > 2
	_y_dim.visible = by_dims and dim > 2
	if by_dims:
		var chosen: PackedStringArray = _frame.axes
		for i in mini(chosen.size(), 2):
			var spin: SpinBox = _x_dim if i == 0 else _y_dim
			spin.set_value_no_signal(chosen[i].trim_prefix("z").to_int())
	if _colour_dims != dim:
		_colour_dims = dim
		_colour.clear()
		var choices: PackedStringArray = ["label", "loss"]
		for d in dim:
			choices.append("z%d" % d)
		for choice in choices:
			_colour.add_item("colour: " + choice if choice == "label" else choice)
			_colour.set_item_metadata(_colour.item_count - 1, choice)
	for i in _colour.item_count:
		if str(_colour.get_item_metadata(i)) == _frame.color_by:
			_colour.select(i)


func _on_resized() -> void:
	_place_corners()
	if auto_fit:
		_update_fit_target()
	_apply_view()


func _upload(frame: StudioLatentFrame) -> void:
	var n: int = frame.count
	if n > _capacity:
		_allocate(n)
	_multimesh.visible_instance_count = n
	points_drawn = n
	if n == 0:
		return
	var coords: Image = _flat_image(frame.coord_bytes, Image.FORMAT_RF)
	_coords_texture = _update_texture(_coords_texture, coords, "coords_tex")
	if frame.has_labels():
		var labels: Image = _flat_image(frame.label_bytes, Image.FORMAT_RGBA8)
		_labels_texture = _update_texture(_labels_texture, labels, "labels_tex")
	if frame.has_color_values():
		var values: Image = _flat_image(frame.color_bytes, Image.FORMAT_RF)
		_values_texture = _update_texture(_values_texture, values, "values_tex")
		_material.set_shader_parameter("value_range", frame.color_range())
	_material.set_shader_parameter("axis_count", frame.axis_count)
	_material.set_shader_parameter("has_labels", frame.has_labels())
	_material.set_shader_parameter("has_values", frame.has_color_values())


## Lays 4-byte elements out in rows of TEXTURE_WIDTH texels (the shader indexes them the same way).
func _flat_image(bytes: PackedByteArray, format: Image.Format) -> Image:
	var rows: int = maxi(1, ceili(bytes.size() / 4.0 / TEXTURE_WIDTH))
	var padded: PackedByteArray = bytes.duplicate()
	padded.resize(TEXTURE_WIDTH * rows * 4)
	return Image.create_from_data(TEXTURE_WIDTH, rows, false, format, padded)


func _update_texture(texture: ImageTexture, image: Image, parameter: String) -> ImageTexture:
	if texture != null and texture.get_size() == Vector2(image.get_size()):
		if texture.get_format() == image.get_format():
			texture.update(image)
			return texture
	var created := ImageTexture.create_from_image(image)
	_material.set_shader_parameter(parameter, created)
	return created


## Makes room for `count` instances. Their transforms stay identity: the shader places them.
func _allocate(count: int) -> void:
	_capacity = count
	_multimesh.instance_count = count
	var buffer := PackedFloat32Array([1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0])
	while buffer.size() < count * 8:
		buffer.append_array(buffer)
	buffer.resize(count * 8)
	_multimesh.buffer = buffer


func _apply_view() -> void:
	var scale_px := Vector2(pixels_per_unit, -pixels_per_unit)
	_material.set_shader_parameter("view_scale", scale_px)
	_material.set_shader_parameter("view_offset", size * 0.5 - view_center * scale_px)
	_material.set_shader_parameter("point_size", point_size)
	_material.set_shader_parameter("point_alpha", point_alpha)
	queue_redraw()
	_overlay.queue_redraw()
	view_transformed.emit()


func _update_header() -> void:
	if _frame == null:
		_title.text = "Latent space"
		_subtitle.text = "waiting for the latent stream…"
		return
	var dim: int = _frame.latent_dim
	var shown: String = "%d dims" % dim if dim > 1 else "1 dim"
	if _frame.projection == "pca":
		shown = "PCA of %d dims" % dim
	elif dim > _frame.axis_count:
		shown = "%s of %d dims" % [" and ".join(_frame.axes), dim]
	_title.text = (
		"Latent space · %s · %s points · step %d" % [shown, _group(_frame.count), _frame.step]
	)
	var captions: PackedStringArray = []
	for axis in mini(_frame.axis_count, 2):
		captions.append(axis_caption(axis))
	if _frame.axis_count == 1:
		captions.append("y: 0 (one latent dimension)")
	if dim > 2:
		captions.append("a pick keeps the data mean off the plane")
	_subtitle.text = " · ".join(captions)


## Keeps the corner pieces apart at any size: the legend at the top right, or under the header
## when the two do not fit side by side; the hint at the bottom left, as wide as the x caption
## and the Fit button leave room for, on more lines when one does not fit.
func _place_corners() -> void:
	if _placing or not is_node_ready():
		return
	_placing = true
	var legend_at := Vector2(size.x - 8.0 - _legend.size.x, 8.0)
	if _header.get_rect().end.x + CORNER_GAP > legend_at.x:
		legend_at.y = _header.get_rect().end.y + 6.0
	_legend.position = legend_at
	var caption: Rect2 = x_caption_rect()
	var right: float = caption.position.x if caption.has_area() else _fit_button.position.x
	var font: Font = _hint.get_theme_font("font")
	var font_size: int = _hint.get_theme_font_size("font_size")
	var natural: float = (
		font.get_string_size(_hint.text, HORIZONTAL_ALIGNMENT_LEFT, -1, font_size).x
		+ _hint.get_theme_stylebox("normal").get_minimum_size().x
		+ 2.0
	)
	var width: float = clampf(right - CORNER_GAP - _hint.position.x, 80.0, natural)
	_hint.size = Vector2(width, 0.0)
	_hint.size = Vector2(width, _hint.get_minimum_size().y)  # its lines at this width
	_hint.position.y = size.y - HINT_BOTTOM - _hint.size.y
	_placing = false


## How far down the header (and the legend) reach: the data and tick labels stay below.
func _top_clearance() -> float:
	return maxf(_header.get_rect().end.y, _legend.get_rect().end.y) + 8.0


func _draw_overlay() -> void:
	var font: Font = get_theme_default_font()
	var step: float = tick_step()
	var decimals: int = maxi(0, -floori(log(step) / log(10.0) + 1e-6))
	var lo: Vector2 = to_latent(Vector2(0.0, size.y))
	var hi: Vector2 = to_latent(Vector2(size.x, 0.0))
	var color: Color = StudioPalette.TEXT_DIM
	for i in range(ceili(lo.x / step), floori(hi.x / step) + 1):
		var x: float = to_screen(Vector2(i * step, 0.0)).x
		var text: String = _tick_text(i * step, decimals)
		_overlay_text(Vector2(x + 3.0, size.y - 6.0), text, color)
	for i in range(ceili(lo.y / step), floori(hi.y / step) + 1):
		var y: float = to_screen(Vector2(0.0, i * step)).y
		if y < _top_clearance() + 24.0 or y > _hint.position.y - 4.0:
			continue  # under the header, the y caption or the hint
		var text: String = _tick_text(i * step, decimals)
		_overlay_text(Vector2(4.0, y - 3.0), text, color)
	_draw_axis_captions()
	if _frame != null and _marker_z.size() == _frame.latent_dim:
		var at: Vector2 = to_screen(_frame.project_2d(_marker_z))
		var accent: Color = StudioPalette.ACCENT
		_overlay.draw_arc(at, 9.0, 0.0, TAU, 32, Color(0.0, 0.0, 0.0, 0.6), 4.0, true)
		_overlay.draw_arc(at, 9.0, 0.0, TAU, 32, accent, 2.0, true)
		for direction: Vector2 in [Vector2.LEFT, Vector2.RIGHT, Vector2.UP, Vector2.DOWN]:
			_overlay.draw_line(at + direction * 12.0, at + direction * 20.0, accent, 2.0, true)
	_draw_selection()
	if _frame == null:
		var message: String = "No latent frames yet"
		var width: float = font.get_string_size(message, HORIZONTAL_ALIGNMENT_LEFT, -1, 18).x
		_overlay_text(size * 0.5 - Vector2(width * 0.5, 0.0), message, StudioPalette.TEXT_DIM, 18)


## A ring on the selected row's point and a tooltip at the hovered one.
func _draw_selection() -> void:
	if _frame == null:
		return
	var selected: int = _frame.point_of_row(selected_row) if selected_row >= 0 else -1
	if selected >= 0:
		var at: Vector2 = to_screen(_frame.point_2d(selected))
		_overlay.draw_arc(at, 7.0, 0.0, TAU, 24, Color(0.0, 0.0, 0.0, 0.7), 4.0, true)
		_overlay.draw_arc(at, 7.0, 0.0, TAU, 24, Color.WHITE, 2.0, true)
	if hovered_point < 0 or hovered_point >= _frame.count:
		return
	var spot: Vector2 = to_screen(_frame.point_2d(hovered_point))
	_overlay.draw_arc(spot, 6.0, 0.0, TAU, 24, StudioPalette.ACCENT, 1.5, true)
	var text: String = point_caption(hovered_point)
	var font: Font = get_theme_default_font()
	var box := Rect2(spot + Vector2(10.0, -28.0), font.get_string_size(text, 0, -1, 12))
	box = box.grow_individual(6.0, 3.0, 6.0, 3.0)
	box.position = box.position.clamp(Vector2.ZERO, (size - box.size).max(Vector2.ZERO))
	_overlay.draw_rect(box, Color(StudioPalette.PANEL, 0.95))
	_overlay.draw_rect(box, StudioPalette.GRID_AXIS, false, 1.0)
	var baseline: Vector2 = box.position + Vector2(6.0, 3.0 + font.get_ascent(12))
	_overlay.draw_string(
		font, baseline, text, HORIZONTAL_ALIGNMENT_LEFT, -1, 12, StudioPalette.TEXT
	)


## The axes' names beside the plane: x at the bottom right (left of the Fit button), y at the
## top left, under the header.
func _draw_axis_captions() -> void:
	var color: Color = StudioPalette.TEXT
	var x_box: Rect2 = x_caption_rect()
	if x_box.has_area():
		_overlay_text(x_box.position + Vector2(0.0, x_box.size.y), axis_caption(0), color, 13)
	var y_text: String = axis_caption(1)
	if not y_text.is_empty():
		_overlay_text(Vector2(10.0, _top_clearance() + 10.0), y_text, color, 13)


## Where the x axis's caption sits, in this control's pixels (empty before the first frame):
## left of the Fit button, on the hint's row.
func x_caption_rect() -> Rect2:
	var text: String = axis_caption(0)
	if text.is_empty():
		return Rect2()
	var font: Font = get_theme_default_font()
	var width: float = font.get_string_size(text, HORIZONTAL_ALIGNMENT_LEFT, -1, 13).x
	var ascent: float = font.get_ascent(13)
	return Rect2(size.x - 96.0 - width, size.y - 40.0 - ascent, width, ascent)


## Text on the overlay, outlined in the background colour so it reads over the points.
func _overlay_text(at: Vector2, text: String, color: Color, font_size: int = 12) -> void:
	var font: Font = get_theme_default_font()
	var outline: Color = StudioPalette.BACKGROUND
	_overlay.draw_string_outline(
		font, at, text, HORIZONTAL_ALIGNMENT_LEFT, -1, font_size, 4, outline
	)
	_overlay.draw_string(font, at, text, HORIZONTAL_ALIGNMENT_LEFT, -1, font_size, color)


static func _tick_text(value: float, decimals: int) -> String:
	if absf(value) < 1e-9:
		return "0"
	return String.num(value, decimals)


static func _group(value: int) -> String:
	var text: String = str(value)
	var out: String = ""
	while text.length() > 3:
		out = "," + text.right(3) + out
		text = text.left(text.length() - 3)
	return text + out
