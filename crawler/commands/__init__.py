"""Scrapy commands of the presswash project (``COMMANDS_MODULE``): Scrapy's own, with presswash's manners."""
