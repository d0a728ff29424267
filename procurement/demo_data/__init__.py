"""Built-in reference data, used when the shared open-data files (settings.REFERENCE_DATA_DIR) are absent.

`ille_et_vilaine` describes one territory (Bretagne, Ille-et-Vilaine, Rennes Métropole) in the column layout of
the real files, so `procurement.reference.load_builtin_territory` loads it through the same code paths and keys
as the full import: a later real import updates these rows instead of duplicating them.
"""
