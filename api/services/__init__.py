"""What the API's routes do beyond reading and answering: the logic behind each area."""
