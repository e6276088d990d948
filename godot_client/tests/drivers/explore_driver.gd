extends Node
## Explores the latent view the way a user does (added by studio_driver.gd):
##   -- [--view-dims=X,Y] [--view-colour=NAME] [--pick-at=FX,FY] [--hover-row=I] [--click-row=I]
## Once the live run has sent a few latent frames it picks "dims…" with dimensions X and Y in
## the view's header and/or the colour NAME ("label", "loss", "z3"), and waits for a frame that
## follows them; then it presses the left button at the fractions FX, FY of the view (a
## synthetic InputEventMouseButton through Input.parse_input_event, so it goes through the
## view's own _gui_input) and waits for the decode of that pick. [method report] says what the
## view showed and what was decoded. With --hover-row / --click-row it moves the pointer to (and
## clicks) the pixel where data-set row I is drawn (LatentView.to_screen of its point), again
## through Input.parse_input_event, until the view hovers (selects) that row; a click then waits
## for the inspector's data point. With --view-3d it presses the header's 3-D button (a frame
## of three axes shows it) and, with --orbit=DX,DY, drags the 3-D view by DX, DY pixels with the
## left button (synthetic press, motion and release through Input.parse_input_event).

## Frames of the live run to wait for, and seconds after the first, so the fit has settled.
const SETTLE_FRAMES: int = 3
const SETTLE_S: float = 1.5

var view: LatentView
var dims := PackedInt32Array()
var colour: String = ""
var pick_at := Vector2(-1.0, -1.0)
var hover_row: int = -1
var click_row: int = -1
var view_3d: bool = false
var orbit := Vector2.ZERO
## True once everything asked for is on screen.
var finished: bool = false

var _settled_s: float = 0.0
var _view_sent: bool = false
var _pick_pixel := Vector2.ZERO
var _pick_sent: bool = false
var _picked := Vector2.ZERO
var _picked_seen: bool = false
var _expected_z := PackedFloat32Array()
## The frame the pick was mapped through (training moves the axes of later ones).
var _pick_frame: StudioLatentFrame
var _hover_done: bool = false
var _hover_pixel := Vector2.ZERO
var _hover_caption: String = ""
var _hovered_label: int = -2
var _hovered_row: int = -1
var _click_done: bool = false
var _click_pixel := Vector2.ZERO
var _view_3d_sent: bool = false
var _orbit_sent: bool = false
var _orbit_from := Vector2.ZERO
var _orbit_to := Vector2.ZERO


func configure(options: Dictionary) -> void:
	var dim_text: PackedStringArray = str(options.get("view-dims", "")).split(",", false)
	for item in dim_text:
		dims.append(item.to_int())
	colour = str(options.get("view-colour", ""))
	var at: PackedStringArray = str(options.get("pick-at", "")).split(",")
	if at.size() == 2 and at[0].is_valid_float() and at[1].is_valid_float():
		pick_at = Vector2(at[0].to_float(), at[1].to_float())
	hover_row = int(options.get("hover-row", -1))
	click_row = int(options.get("click-row", -1))
	view_3d = options.has("view-3d")
	var drag: PackedStringArray = str(options.get("orbit", "")).split(",")
	if drag.size() == 2 and drag[0].is_valid_float() and drag[1].is_valid_float():
		orbit = Vector2(drag[0].to_float(), drag[1].to_float())


func _ready() -> void:
	view.point_picked.connect(_on_point_picked)


func _process(delta: float) -> void:
	if finished or StudioSession.run_latent_frames < SETTLE_FRAMES:
		return
	_settled_s += delta
	if _settled_s < SETTLE_S:
		return
	if not _view_sent:
		_view_sent = true
		_choose_view()
		return
	if not _view_shown():
		return
	if _operate_3d():
		return
	if pick_at.x >= 0.0 and not _pick_sent:
		_pick_sent = true
		_press_at(pick_at)
		return
	if pick_at.x < 0.0 or _pick_decoded():
		finished = _rows_done()


## What the view shows and what the pick decoded, for the screenshot report.
func report() -> Dictionary:
	var frame: StudioLatentFrame = StudioSession.latent
	var out: Dictionary = {"finished": finished}
	if frame == null:
		return out
	out["axes"] = Array(frame.axes)
	out["projection"] = frame.projection
	out["color_by"] = frame.color_by
	out["has_color_values"] = frame.has_color_values()
	out["frame_latent_dim"] = frame.latent_dim
	out["axis_count"] = frame.axis_count
	out["explained"] = Array(frame.explained)
	out["axis_captions"] = [view.axis_caption(0), view.axis_caption(1)]
	out["center"] = Array(frame.center)
	out["decoded_z"] = Array(StudioSession.decoded_z)
	if _pick_frame != null:
		out["decoded_on_axes"] = Array(_pick_frame.project(StudioSession.decoded_z))
	out["decoded_values"] = Array(StudioSession.decoded_values)
	out["values_in_words"] = InspectorPanel.describe_values(StudioSession.decoded_values)
	out["pick_sent"] = _pick_sent
	out["pick_pixel"] = [_pick_pixel.x, _pick_pixel.y]
	out["picked"] = [_picked.x, _picked.y] if _picked_seen else []
	out["expected_z"] = Array(_expected_z)
	var view3d: LatentView3D = view.get_node("View3D")
	out["view_3d"] = view.view_3d and view3d.is_visible_in_tree()
	out["view_3d_toggle_visible"] = _control("View3DToggle").visible
	out["points_3d"] = view3d.points_drawn
	out["camera_yaw"] = view3d.camera_yaw
	out["camera_pitch"] = view3d.camera_pitch
	out["orbit_sent"] = _orbit_sent
	out["orbit_yaw_pitch_before"] = [_orbit_from.x, _orbit_from.y]
	out["orbit_yaw_pitch_after"] = [_orbit_to.x, _orbit_to.y]
	out["controls_visible"] = (view.get_node("Header/Rows/Controls") as Control).visible
	out["projection_control_visible"] = _control("Projection").visible
	out["hover_row"] = hover_row
	out["hovered_row"] = _hovered_row
	out["hover_caption"] = _hover_caption
	out["hovered_label"] = _hovered_label
	out["hover_pixel"] = [_hover_pixel.x, _hover_pixel.y]
	out["click_row"] = click_row
	out["selected_row"] = view.selected_row
	out["click_pixel"] = [_click_pixel.x, _click_pixel.y]
	var point: StudioDataPoint = StudioSession.data_point
	if point != null:
		var inspector: InspectorPanel = view.get_tree().current_scene.find_child(
			"InspectorPanel", true, false
		)
		out["data_point"] = {
			"row": point.row,
			"label": point.label,
			"error": point.error,
			"complete": point.is_complete(),
			"mu": Array(point.mu),
			"logvar": Array(point.logvar),
			"kl": point.kl(),
			"recon_error": point.recon_error(),
			"original": Array(point.original.get_data()) if point.original != null else [],
			"reconstruction":
			Array(point.reconstruction.get_data()) if point.reconstruction != null else [],
			"image_size":
			[point.original.get_width(), point.original.get_height()] if point.is_image() else [],
			"original_values": Array(point.original_values),
			"reconstruction_values": Array(point.reconstruction_values),
			"original_rect": ReportValues.rect_of(inspector.original_view()),
			"reconstruction_rect": ReportValues.rect_of(inspector.image_view()),
			"heading": (inspector.get_node("Columns/Info/Heading") as Label).text,
			"posterior_text": (inspector.get_node("Columns/Info/Z") as Label).text,
			"detail_text": (inspector.get_node("Columns/Info/Detail") as Label).text,
		}
	return out


## Operates the header's controls: the dimension boxes, then "dims…", then the colour.
func _choose_view() -> void:
	if dims.size() == 2:
		(_control("XDim") as SpinBox).value = dims[0]
		(_control("YDim") as SpinBox).value = dims[1]
		var projection: OptionButton = _control("Projection")
		projection.select(LatentView.PROJECTION_DIMS)
		projection.item_selected.emit(LatentView.PROJECTION_DIMS)
	if not colour.is_empty():
		var choice: OptionButton = _control("Colour")
		for i in choice.item_count:
			if str(choice.get_item_metadata(i)) == colour:
				choice.select(i)
				choice.item_selected.emit(i)


func _view_shown() -> bool:
	var frame: StudioLatentFrame = StudioSession.latent
	if frame == null:
		return false
	if dims.size() == 2:
		var wanted := PackedStringArray(["z%d" % dims[0], "z%d" % dims[1]])
		if frame.projection != "dims" or frame.axes != wanted:
			return false
	return colour.is_empty() or frame.color_by == colour


## Presses and releases the left button at the fractions `at` of the view, as a mouse does.
## The press lands on the nearest pixel with no data point within reach (a press on a point
## selects its row instead of decoding the plane).
func _press_at(at: Vector2) -> void:
	_pick_pixel = view.get_global_rect().position + _empty_spot_near(view.size * at)
	MouseInput.click(_pick_pixel, true)


## Presses the 3-D button, then (a frame later) drags the view; true while it did something.
func _operate_3d() -> bool:
	if view_3d and not _view_3d_sent:
		_view_3d_sent = true
		var toggle: Button = _control("View3DToggle")
		toggle.button_pressed = true
		return true
	if orbit != Vector2.ZERO and not _orbit_sent:
		_orbit_sent = true
		_drag_3d()
		return true
	return false


## Drags the 3-D view by `orbit` pixels from its middle with the left button held, as a mouse does.
func _drag_3d() -> void:
	var view3d: LatentView3D = view.get_node("View3D")
	_orbit_from = Vector2(view3d.camera_yaw, view3d.camera_pitch)
	var start: Vector2 = view3d.get_global_rect().get_center()
	MouseInput.button(start, true, MOUSE_BUTTON_LEFT, false, true)
	MouseInput.move(start + orbit, orbit, MOUSE_BUTTON_MASK_LEFT)
	MouseInput.button(start + orbit, false)
	Input.flush_buffered_events()
	_orbit_to = Vector2(view3d.camera_yaw, view3d.camera_pitch)


## Hovers, then clicks, the rows asked for, one step a frame; true once the click's data point
## is in.
func _rows_done() -> bool:
	if hover_row >= 0 and not _hover_done:
		_hover()
	elif click_row >= 0 and not _click_done:
		_click()
	else:
		return click_row < 0 or _data_point_shown()
	return false


## Moves the pointer to where `hover_row` is drawn, until the view hovers it.
func _hover() -> void:
	var i: int = StudioSession.latent.point_of_row(hover_row)
	if i < 0:
		push_error("--hover-row=%d: the latent stream does not hold that row" % hover_row)
		_hover_done = true
		return
	_hover_pixel = _row_pixel(i)
	MouseInput.move(_hover_pixel)
	Input.flush_buffered_events()
	if view.hovered_row == hover_row:
		_hover_done = true
		_hovered_row = view.hovered_row
		_hover_caption = view.point_caption(view.hovered_point)
		_hovered_label = StudioSession.latent.label_of(view.hovered_point)


## Clicks where `click_row` is drawn, until the view selects that row.
func _click() -> void:
	var i: int = StudioSession.latent.point_of_row(click_row)
	if i < 0:
		push_error("--click-row=%d: the latent stream does not hold that row" % click_row)
		_click_done = true
		return
	_click_pixel = _row_pixel(i)
	MouseInput.click(_click_pixel, true)
	_click_done = view.selected_row == click_row


## The window pixel where point `i` of the current frame is drawn.
func _row_pixel(i: int) -> Vector2:
	var local: Vector2 = view.to_screen(StudioSession.latent.point_2d(i))
	return view.get_global_transform() * local


func _data_point_shown() -> bool:
	var point: StudioDataPoint = StudioSession.data_point
	return point != null and point.row == click_row and (point.is_complete() or point.error != "")


## The pixel nearest `local` (within 60 px) where the view has no point to select.
func _empty_spot_near(local: Vector2) -> Vector2:
	for radius in range(0, 61, 3):
		for step in maxi(1, radius * 2):
			var angle: float = TAU * step / maxf(1.0, radius * 2.0)
			var spot: Vector2 = local + Vector2.from_angle(angle) * radius
			if view.point_at(spot) < 0:
				return spot
	return local


func _on_point_picked(p: Vector2) -> void:
	if not _pick_sent or _picked_seen:
		return
	_picked = p
	_picked_seen = true
	_pick_frame = StudioSession.latent
	_expected_z = _pick_frame.to_z(p, StudioSession.decode_anchor)


func _pick_decoded() -> bool:
	return _picked_seen and StudioSession.decoded_z == _expected_z


func _control(name: String) -> Control:
	return view.get_node("Header/Rows/Controls/" + name)
