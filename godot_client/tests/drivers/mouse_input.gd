class_name MouseInput
## Synthetic mouse events for the test drivers, sent through Input.parse_input_event so they reach
## the controls' own _gui_input exactly as a real mouse's would.


## Moves the pointer to `at` (window pixels); `mask` holds the buttons kept down (a drag).
static func move(at: Vector2, relative: Vector2 = Vector2.ZERO, mask: int = 0) -> void:
	var event := InputEventMouseMotion.new()
	event.position = at
	event.global_position = at
	event.relative = relative
	event.button_mask = mask
	Input.parse_input_event(event)


## Presses or releases button `index` at `at`; `held` puts the left button in the event's
## button_mask while pressed, as a real press reports it (some drivers leave it out).
static func button(
	at: Vector2,
	pressed: bool,
	index: MouseButton = MOUSE_BUTTON_LEFT,
	double: bool = false,
	held: bool = false
) -> void:
	var event := InputEventMouseButton.new()
	event.button_index = index
	event.pressed = pressed
	event.double_click = double
	event.position = at
	event.global_position = at
	if held and pressed:
		event.button_mask = MOUSE_BUTTON_MASK_LEFT
	Input.parse_input_event(event)


## Presses and releases the left button at `at` (`held`: see [method button]).
static func click(at: Vector2, held: bool = false) -> void:
	button(at, true, MOUSE_BUTTON_LEFT, false, held)
	button(at, false)


## One notch of the wheel at `at` (up: zoom in).
static func wheel(at: Vector2, index: MouseButton = MOUSE_BUTTON_WHEEL_UP) -> void:
	button(at, true, index)
	button(at, false, index)
