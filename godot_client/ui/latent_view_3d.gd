class_name LatentView3D
extends Control
## The latent points on all three axes of a frame (protocol §6.1), for a latent space of three
## or more dimensions: one MultiMesh of small camera-facing quads coloured by label or by value,
## three axis lines through the data's middle named by the frame's axes, and a camera orbiting
## the data's centre. Left drag orbits, the wheel zooms, [method fit] frames the points. The
## instances are rebuilt only when a new frame comes in while the view is shown.

const ORBIT_RATE: float = 0.008
const ZOOM_STEP: float = 1.15
const MIN_PITCH: float = -1.45
const MAX_PITCH: float = 1.45
## Each point's size as a share of the data's largest extent.
const POINT_SHARE: float = 0.012
const AXIS_COLOURS: Array[Color] = [Color("#ff6b6b"), Color("#4cd07d"), Color("#4e9bf0")]

## The camera's angle around the vertical axis and above the horizon, in radians.
var camera_yaw: float = 0.6
var camera_pitch: float = 0.35
## The camera's distance from the pivot, in latent units.
var camera_distance: float = 10.0
## How many points the MultiMesh holds now.
var points_drawn: int = 0

var _frame: StudioLatentFrame
var _built: StudioLatentFrame
var _ramp: Gradient = StudioPalette.make_ramp_texture().gradient
var _axis_ends: Array[Vector3] = []
var _dragging: bool = false

@onready var _viewport: SubViewport = $Container/Viewport
@onready var _pivot: Node3D = $Container/Viewport/Pivot
@onready var _camera: Camera3D = $Container/Viewport/Pivot/Camera
@onready var _points: MultiMeshInstance3D = $Container/Viewport/Points
@onready var _axes: MeshInstance3D = $Container/Viewport/Axes
@onready var _overlay: Control = $Overlay


func _ready() -> void:
	var environment := Environment.new()
	environment.background_mode = Environment.BG_COLOR
	environment.background_color = StudioPalette.BACKGROUND
	_camera.environment = environment
	var material := StandardMaterial3D.new()
	material.shading_mode = BaseMaterial3D.SHADING_MODE_UNSHADED
	material.vertex_color_use_as_albedo = true
	material.billboard_mode = BaseMaterial3D.BILLBOARD_ENABLED
	material.billboard_keep_scale = true
	var quad := QuadMesh.new()
	quad.size = Vector2.ONE
	quad.material = material
	var multimesh := MultiMesh.new()
	multimesh.transform_format = MultiMesh.TRANSFORM_3D
	multimesh.use_colors = true
	multimesh.mesh = quad
	_points.multimesh = multimesh
	_overlay.draw.connect(_draw_overlay)
	visibility_changed.connect(_rebuild)
	StudioSession.latent_received.connect(_on_latent_received)
	_place_camera()


func _gui_input(event: InputEvent) -> void:
	var button := event as InputEventMouseButton
	if button != null:
		match button.button_index:
			MOUSE_BUTTON_WHEEL_UP:
				if button.pressed:
					zoom(1.0 / ZOOM_STEP)
			MOUSE_BUTTON_WHEEL_DOWN:
				if button.pressed:
					zoom(ZOOM_STEP)
			MOUSE_BUTTON_LEFT:
				_dragging = button.pressed
		accept_event()
		return
	var motion := event as InputEventMouseMotion
	if motion != null:
		if _dragging:
			orbit(motion.relative)
		accept_event()


## Turns the camera by a drag of `relative` pixels: across turns around, up and down tilts.
func orbit(relative: Vector2) -> void:
	camera_yaw -= relative.x * ORBIT_RATE
	camera_pitch = clampf(camera_pitch + relative.y * ORBIT_RATE, MIN_PITCH, MAX_PITCH)
	_place_camera()


## Moves the camera `factor` times as far from the pivot.
func zoom(factor: float) -> void:
	camera_distance = clampf(camera_distance * factor, 1e-3, 1e6)
	_place_camera()


## Centres the pivot on the points and backs the camera off until their bounds fit the view.
func fit() -> void:
	if _frame == null or _frame.count == 0:
		return
	var bounds: AABB = _frame.bounds_3d()
	_pivot.position = bounds.get_center()
	var radius: float = maxf(bounds.size.length() * 0.5, 1e-3)
	var half_fov: float = deg_to_rad(_camera.fov) * 0.5
	camera_distance = radius / sin(half_fov) * 1.05
	_place_camera()


func _on_latent_received(frame: StudioLatentFrame) -> void:
	var first: bool = _frame == null or frame.run != _frame.run
	_frame = frame
	if is_visible_in_tree():
		_rebuild()
		if first:
			fit()


## Lays the current frame's points and axes out, unless they already show it.
func _rebuild() -> void:
	if _frame == null or _frame == _built or not is_visible_in_tree() or not is_node_ready():
		return
	var refit: bool = _built == null or _built.run != _frame.run
	_built = _frame
	var n: int = _frame.count if _frame.axis_count == 3 else 0
	var bounds: AABB = _frame.bounds_3d()
	var size_world: float = maxf(bounds.get_longest_axis_size(), 1e-3) * POINT_SHARE
	var values := PackedFloat32Array()
	if _frame.has_color_values():
		values = _frame.color_bytes.to_float32_array()
	var extent: Vector2 = _frame.color_range() if _frame.has_color_values() else Vector2.ZERO
	var span: float = maxf(extent.y - extent.x, 1e-12)
	var buffer := PackedFloat32Array()
	buffer.resize(n * 16)
	for i in n:
		var p: Vector3 = _frame.point_3d(i)
		var colour: Color = StudioPalette.label_color(_frame.label_of(i))
		if not values.is_empty():
			colour = _ramp.sample(clampf((values[i] - extent.x) / span, 0.0, 1.0))
		var base: int = i * 16
		buffer[base] = size_world
		buffer[base + 3] = p.x
		buffer[base + 5] = size_world
		buffer[base + 7] = p.y
		buffer[base + 10] = size_world
		buffer[base + 11] = p.z
		buffer[base + 12] = colour.r
		buffer[base + 13] = colour.g
		buffer[base + 14] = colour.b
		buffer[base + 15] = 0.9
	_points.multimesh.instance_count = n
	if n > 0:
		_points.multimesh.buffer = buffer
	points_drawn = n
	_build_axes(bounds)
	if refit:
		fit()
	_overlay.queue_redraw()


## Three lines through the middle of `bounds`, each spanning the data along its axis.
func _build_axes(bounds: AABB) -> void:
	var mesh := ImmediateMesh.new()
	var material := StandardMaterial3D.new()
	material.shading_mode = BaseMaterial3D.SHADING_MODE_UNSHADED
	material.vertex_color_use_as_albedo = true
	var middle: Vector3 = bounds.get_center()
	_axis_ends.clear()
	mesh.surface_begin(Mesh.PRIMITIVE_LINES, material)
	for a in 3:
		var lo: Vector3 = middle
		var hi: Vector3 = middle
		lo[a] = bounds.position[a]
		hi[a] = bounds.end[a]
		for end: Vector3 in [lo, hi]:
			mesh.surface_set_color(AXIS_COLOURS[a])
			mesh.surface_add_vertex(end)
		_axis_ends.append(hi)
	mesh.surface_end()
	_axes.mesh = mesh


func _place_camera() -> void:
	var offset := Vector3(
		cos(camera_pitch) * sin(camera_yaw), sin(camera_pitch), cos(camera_pitch) * cos(camera_yaw)
	)
	_camera.position = offset * camera_distance
	_camera.near = camera_distance * 0.01
	_camera.far = camera_distance * 10.0
	_camera.look_at(_pivot.global_position, Vector3.UP)
	_overlay.queue_redraw()


## The axes' names at their ends, in the axis colour, outlined so they read over the points.
func _draw_overlay() -> void:
	if _frame == null or _axis_ends.size() != 3:
		return
	var font: Font = get_theme_default_font()
	for a in 3:
		if _camera.is_position_behind(_axis_ends[a]):
			continue
		var at: Vector2 = _camera.unproject_position(_axis_ends[a])
		at *= size / Vector2(_viewport.size).max(Vector2.ONE)
		var text: String = _frame.axis_caption(a)
		_overlay.draw_string_outline(
			font, at, text, HORIZONTAL_ALIGNMENT_LEFT, -1, 13, 4, StudioPalette.BACKGROUND
		)
		_overlay.draw_string(font, at, text, HORIZONTAL_ALIGNMENT_LEFT, -1, 13, AXIS_COLOURS[a])
