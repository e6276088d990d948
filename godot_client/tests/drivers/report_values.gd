class_name ReportValues
## Small helpers the test drivers share to put what is on screen into their JSON reports.


## How many different values `values` holds (e.g. image hashes: how many tiles differ).
static func distinct(values: Array) -> int:
	var seen: Dictionary = {}
	for value: Variant in values:
		seen[value] = true
	return seen.size()


## A control's on-screen rectangle as [x, y, width, height] in whole pixels ([] for none), for
## checking regions of the picture.
static func rect_of(control: Control) -> Array[int]:
	if control == null:
		return []
	var rect: Rect2 = control.get_global_rect()
	return [
		roundi(rect.position.x), roundi(rect.position.y), roundi(rect.size.x), roundi(rect.size.y)
	]
