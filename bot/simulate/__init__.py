"""The trial simulator: synthetic people through the real engine and service (``icbt simulate``)."""
