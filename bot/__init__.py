"""Loket's hub: owns every conversation and connects the channels to the brain."""
