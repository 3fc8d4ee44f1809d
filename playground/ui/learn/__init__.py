"""The Learn pages' parts: a shared lesson frame and one module per lesson."""
