"""Model files: the code-free ZIP codec (``codec``) and the registry of the classes it may
save (``registry``), filled by the classes themselves."""
