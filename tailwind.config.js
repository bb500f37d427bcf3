/** @type {import('tailwindcss').Config} */
module.exports = {
  content: ["./views/**/*.templ", "./static/js/app.js"],
  darkMode: "media",
  theme: {
    extend: {},
  },
  plugins: [],
};
