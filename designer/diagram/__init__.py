"""The ER diagram: geometry of boxes and connectors, automatic layout, SVG rendering. Pure Python, no ORM."""
