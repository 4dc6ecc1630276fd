"""Tools for people trying Loket (the phone simulator, demo data): not part of the running hub."""
