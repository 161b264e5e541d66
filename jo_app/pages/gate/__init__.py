"""Gate pages: /controle, the employee gate page, and its registration."""
