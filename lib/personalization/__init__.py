"""Tags, rendering, SMS parts and cost: one engine shared by the console's preview and the sandbox."""
