export interface Shelf {
  slug: string;
  title: string;
  books: { title: string; author: string }[];
}

export const shelves: Shelf[] = [
  {
    slug: "fiction",
    title: "Fiction",
    books: [
      { title: "The Left Hand of Darkness", author: "Ursula K. Le Guin" },
      { title: "Beloved", author: "Toni Morrison" },
      { title: "The Remains of the Day", author: "Kazuo Ishiguro" },
    ],
  },
  {
    slug: "poetry",
    title: "Poetry",
    books: [
      { title: "Ariel", author: "Sylvia Plath" },
      { title: "Leaves of Grass", author: "Walt Whitman" },
    ],
  },
  {
    slug: "science",
    title: "Science",
    books: [
      { title: "The Structure of Scientific Revolutions", author: "Thomas S. Kuhn" },
      { title: "A Brief History of Time", author: "Stephen Hawking" },
      { title: "The Selfish Gene", author: "Richard Dawkins" },
    ],
  },
];

export function findShelf(slug: string | undefined): Shelf | undefined {
  return shelves.find((shelf) => shelf.slug === slug);
}
