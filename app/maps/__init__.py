"""Maps: folium and WebGL layers, cell counts and offline browser assets."""
