"""Operations added to the registry's router (`endpoints.router`)."""
