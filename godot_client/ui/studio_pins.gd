class_name StudioPins
extends RefCounted
## Pinned latent vectors (full z each, oldest first), kept by the session
## ([member StudioSession.pins]) so any component can show or draw them. They outlive projection
## and run changes: a frame of another latent width fits them to it ([method fit]).

## The pins changed: added, removed, or fitted to a new latent width.
signal changed

## At most this many pins.
const MAX_PINS: int = 16

## The pins, oldest first; change them through the methods, which emit [signal changed].
var items: Array[PackedFloat32Array] = []
## Why the pins last changed width ("" when they never did), a sentence for the UI.
var note: String = ""


func size() -> int:
	return items.size()


func is_full() -> bool:
	return items.size() >= MAX_PINS


## Pins a copy of `z`; false when it is empty or the pins are full.
func add(z: PackedFloat32Array) -> bool:
	if z.is_empty() or is_full():
		return false
	items.append(z.duplicate())
	changed.emit()
	return true


func remove(index: int) -> void:
	if index >= 0 and index < items.size():
		items.remove_at(index)
		changed.emit()


func clear() -> void:
	items.clear()
	changed.emit()


## Fits every pin to `width` dimensions: cut, or padded with `center` (the new frame's mean);
## says so in [member note]. False when they already had that width (or there are none).
func fit(width: int, center: PackedFloat32Array) -> bool:
	if items.is_empty() or items[0].size() == width:
		return false
	var old: int = items[0].size()
	for i in items.size():
		items[i] = StudioZMath.resize(items[i], width, center)
	var how: String = "cut" if width < old else "padded with the new center"
	note = "Pins resized from %d to %d dims (%s)." % [old, width, how]
	changed.emit()
	return true
