"""The visitor side: the widget's Socket.IO namespace and its HTTP routes."""
