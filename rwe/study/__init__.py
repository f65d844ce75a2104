"""Studies run on the derived objects: `rwe analyze sorafenib`."""
